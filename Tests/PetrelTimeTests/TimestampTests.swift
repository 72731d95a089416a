import Testing
import PetrelTime

@Suite("Timestamps: order and text forms")
struct TimestampTests {
    let id1 = ZenohID(high: 0, low: 1)!
    let id2 = ZenohID(high: 0, low: 2)!

    @Test func timeOrdersFirstThenID() {
        let early = Timestamp(time: NTP64(rawValue: 99), id: id2)
        let late = Timestamp(time: NTP64(rawValue: 101), id: id1)
        #expect(early < late)
        // Equal times: the id breaks the tie, so two clocks never issue equal timestamps.
        let a = Timestamp(time: NTP64(rawValue: 100), id: id1)
        let b = Timestamp(time: NTP64(rawValue: 100), id: id2)
        #expect(a < b)
        #expect(a != b)
        #expect(!(b < a))
        #expect([late, b, early, a].sorted() == [early, a, b, late])
    }

    @Test func idTieBreakFollowsUhlcByteOrder() {
        // uhlc derives Ord on the 16 little-endian bytes, so the LEAST significant
        // byte decides first: 0x0201 (bytes 01 02) < 0x0102 (bytes 02 01).
        let lowFirst = ZenohID(high: 0, low: 0x0201)!
        let highFirst = ZenohID(high: 0, low: 0x0102)!
        let t = NTP64(rawValue: 42)
        #expect(Timestamp(time: t, id: lowFirst) < Timestamp(time: t, id: highFirst))
    }

    @Test func decimalFormIsUhlcDisplay() {
        // uhlc's documented example: NTP64(7386690599959157260) with id 0x33.
        let ts = Timestamp(time: NTP64(rawValue: 7_386_690_599_959_157_260), id: ZenohID(high: 0, low: 0x33)!)
        #expect(ts.decimalString == "7386690599959157260/33")
        #expect(ts.rfc3339 == "2024-07-01T15:32:06.860479001Z/33")  // see NTP64ConversionTests
        #expect(Timestamp("7386690599959157260/33") == ts)
        #expect(Timestamp(rfc3339: "2024-07-01T15:32:06.860479000Z/33")?.id == ts.id)
        let full = ZenohID("79a664f9635b8892320989b061577f7f")!
        let ts2 = Timestamp(time: NTP64(rawValue: 0x6b07_b76f_134a_6e10), id: full)
        #expect(Timestamp(ts2.decimalString) == ts2)
        #expect(ts2.decimalString.hasSuffix("/79a664f9635b8892320989b061577f7f"))
    }

    @Test func rejectsMalformedText() {
        for bad in ["", "123", "123/", "/33", "x/33", "123/0", "123/033", "123/xyz",
                    "123/100000000000000000000000000000000", "-1/33", "1 /33"] {
            #expect(Timestamp(bad) == nil, "\(bad)")
        }
        #expect(Timestamp(rfc3339: "7386690599959157260/33") == nil)
        #expect(Timestamp(rfc3339: "2024-07-01T15:32:06Z") == nil)
    }

    @Test func randomDecimalRoundTrips() {
        var rng = Xorshift(seed: 99)
        for _ in 0..<5000 {
            let ts = Timestamp(time: NTP64(rawValue: rng.next()), id: ZenohID.random(using: &rng))
            #expect(Timestamp(ts.decimalString) == ts)
        }
    }
}
