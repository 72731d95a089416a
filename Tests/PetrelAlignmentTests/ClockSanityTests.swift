import PetrelAlignment
import PetrelTime
import Testing

@Suite("Alignment: clock sanity")
struct ClockSanityTests {
    @Test("a time more than 500 ms ahead is refused, exactly 500 ms ahead is accepted, as the HLC decides")
    func drift() throws {
        let now = NTP64(seconds: 1_796_385_600, nanoseconds: 0)
        let maxDelta = NTP64(duration: .milliseconds(500)).rawValue
        #expect(!ClockSanity.isTooFarInFuture(NTP64(rawValue: now.rawValue + maxDelta), now: now))
        #expect(ClockSanity.isTooFarInFuture(NTP64(rawValue: now.rawValue + maxDelta + 1), now: now))
        #expect(!ClockSanity.isTooFarInFuture(NTP64(rawValue: now.rawValue - 1_000_000), now: now))
        #expect(ClockSanity.isTooFarInFuture(NTP64(rawValue: now.rawValue + NTP64.duration(milliseconds: 200)), now: now, maxDeltaMillis: 100))

        // The same verdicts as HybridLogicalClock.update(with:).
        let physical = ManualClock(now)
        let clock = HybridLogicalClock(id: ZenohID(high: 0, low: 1)!, physicalClock: physical)
        for offset in [maxDelta - 16, maxDelta, maxDelta + 16, maxDelta * 3] {
            let t = Timestamp(time: NTP64(rawValue: now.rawValue + offset), id: ZenohID(high: 0, low: 2)!)
            let refusedByClock = (try? clock.update(with: t)) == nil
            #expect(refusedByClock == ClockSanity.isTooFarInFuture(t.time, now: now), "offset \(offset)")
        }
        let id = ZenohID(high: 0, low: 3)!
        let entries = [AlignmentEntry(key: "a", timestamp: Timestamp(time: now, id: id), isTombstone: false),
                       AlignmentEntry(key: "b", timestamp: Timestamp(time: NTP64(rawValue: now.rawValue + 2 * maxDelta), id: id), isTombstone: false)]
        let (accepted, refused) = ClockSanity.partition(entries, now: now)
        #expect(accepted.map(\.key) == ["a"] && refused.map(\.key) == ["b"])
    }
}
