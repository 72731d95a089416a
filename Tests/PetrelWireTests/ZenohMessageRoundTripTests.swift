import Testing
import PetrelWire

@Suite("Zenoh payload messages round-trip")
struct ZenohMessageRoundTripTests {
    @Test func put() {
        roundTrip("PUT", make: { $0.put() },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in
                      guard case .put(let p) = try PushBody.decode(from: &r, "test") else { throw DecodeError(.invalidValue, "not a put") }
                      return p
                  })
    }

    @Test func del() {
        roundTrip("DEL", make: { PushBody.del($0.del()) },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try PushBody.decode(from: &r, "test") })
    }

    @Test func push() {
        roundTrip("PUSH", make: { NetworkMessage.push($0.push()) },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try NetworkMessage.decode(from: &r) })
    }
}

