import Testing
import PetrelTime

@Suite("Hybrid logical clock (uhlc 0.9 rules)")
struct HybridLogicalClockTests {
    let me = ZenohID(high: 0, low: 0xA1)!
    let peer = ZenohID(high: 0, low: 0xB2)!
    /// A round physical time (counter bits clear): 2024-07-01T15:32:06Z.
    let t0 = NTP64(seconds: 1_719_847_926, nanoseconds: 0)
    var halfSecond: UInt64 { NTP64.duration(milliseconds: 500) }

    func clock(at start: NTP64, maxDelta: Duration = .milliseconds(500)) -> (HybridLogicalClock, ManualClock) {
        let physical = ManualClock(start)
        return (HybridLogicalClock(id: me, maxDelta: maxDelta, physicalClock: physical), physical)
    }

    @Test func stampsPhysicalTimeWithCounterBitsCleared() {
        let (hlc, physical) = clock(at: NTP64(rawValue: t0.rawValue | 0x7))
        let ts = hlc.newTimestamp()
        #expect(ts.time == t0)
        #expect(ts.id == me)
        physical.set(NTP64(rawValue: t0.rawValue + 0x1F))
        #expect(hlc.newTimestamp().time.rawValue == t0.rawValue + 0x10)
    }

    @Test func countsLogicallyWhileThePhysicalClockStandsStill() {
        let (hlc, _) = clock(at: t0)
        var previous = hlc.newTimestamp()
        #expect(previous.time == t0)
        // 40 stamps in one physical tick: the counter runs past its 4 bits into
        // the time bits, as uhlc's plain `last + 1` does.
        for i in 1...40 {
            let ts = hlc.newTimestamp()
            #expect(ts.time.rawValue == t0.rawValue + UInt64(i))
            #expect(ts > previous)
            previous = ts
        }
    }

    @Test func physicalTimeCatchingUpResetsTheCounter() {
        let (hlc, physical) = clock(at: t0)
        _ = hlc.newTimestamp()
        _ = hlc.newTimestamp()  // t0 + 1
        physical.advance(by: 0x10)  // next tick: now (t0 + 16) > last masked (t0)
        #expect(hlc.newTimestamp().time.rawValue == t0.rawValue + 0x10)
        // Within the same tick as `last` (masked equal): logical increment.
        physical.advance(by: 0x3)
        #expect(hlc.newTimestamp().time.rawValue == t0.rawValue + 0x11)
    }

    @Test func staysMonotonicWhenTheWallClockStepsBack() {
        let (hlc, physical) = clock(at: t0)
        let before = hlc.newTimestamp()
        physical.set(NTP64(rawValue: t0.rawValue - (5 << 32)))  // NTP step: 5 s back
        var previous = before
        for _ in 0..<100 {
            let ts = hlc.newTimestamp()
            #expect(ts > previous)
            previous = ts
        }
        #expect(previous.time.rawValue == t0.rawValue + 100)
    }

    @Test func acceptsDriftOfExactlyMaxDeltaAndRefusesOneUnitMore() throws {
        let (hlc, _) = clock(at: t0)
        let atLimit = Timestamp(time: NTP64(rawValue: t0.rawValue + halfSecond), id: peer)
        try hlc.update(with: atLimit)
        #expect(hlc.lastTime.rawValue == atLimit.time.rawValue + 1)

        let (hlc2, _) = clock(at: t0)
        _ = hlc2.newTimestamp()
        let before = hlc2.lastTime
        let beyond = Timestamp(time: NTP64(rawValue: t0.rawValue + halfSecond + 1), id: peer)
        let error = #expect(throws: ClockDriftError.self) { try hlc2.update(with: beyond) }
        #expect(error == ClockDriftError(timestamp: beyond, now: t0, maxDelta: NTP64(rawValue: halfSecond)))
        #expect(error?.ahead.rawValue == halfSecond + 1)
        #expect(error?.description.contains("ahead of local time") == true)
        #expect(hlc2.lastTime == before)  // a refused timestamp leaves the clock alone
    }

    @Test func driftIsMeasuredFromTheMaskedPhysicalTime() throws {
        // Physical time t0 + 15 counts as t0, so t0 + delta + 1 is still too far.
        let (hlc, _) = clock(at: NTP64(rawValue: t0.rawValue + 15))
        #expect(throws: ClockDriftError.self) {
            try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + halfSecond + 1), id: peer))
        }
        try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + halfSecond), id: peer))
    }

    @Test func customMaxDelta() throws {
        let (hlc, _) = clock(at: t0, maxDelta: .seconds(2))
        try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + (2 << 32)), id: peer))
        #expect(throws: ClockDriftError.self) {
            try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + (2 << 32) + 1), id: peer))
        }
        let strict = HybridLogicalClock(id: me, maxDelta: .zero, physicalClock: ManualClock(t0))
        try strict.update(with: Timestamp(time: t0, id: peer))
        #expect(throws: ClockDriftError.self) {
            try strict.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + 1), id: peer))
        }
    }

    @Test func mergingARemoteTimestampAheadMovesPastIt() throws {
        let (hlc, _) = clock(at: t0)
        let remote = Timestamp(time: NTP64(rawValue: t0.rawValue + 12_345), id: peer)
        try hlc.update(with: remote)
        #expect(hlc.lastTime.rawValue == remote.time.rawValue + 1)
        let next = hlc.newTimestamp()
        #expect(next > remote)
        #expect(next.time.rawValue == remote.time.rawValue + 2)
    }

    @Test func mergingAnOldTimestampTakesPhysicalTime() throws {
        let (hlc, physical) = clock(at: t0)
        _ = hlc.newTimestamp()
        physical.advance(by: .milliseconds(10))
        try hlc.update(with: Timestamp(time: NTP64(rawValue: 0), id: peer))
        // now is the largest of (now, remote, last): last = now (masked).
        #expect(hlc.lastTime.rawValue == physical.now().rawValue & ~0xF)
    }

    @Test func mergingWhenTheLocalClockLeadsBumpsLast() throws {
        let (hlc, _) = clock(at: t0)
        for _ in 0..<5 { _ = hlc.newTimestamp() }  // last = t0 + 4 > now
        try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + 2), id: peer))
        #expect(hlc.lastTime.rawValue == t0.rawValue + 5)
        // The remote equal to last (both ahead of now): remote is the max -> remote + 1.
        try hlc.update(with: Timestamp(time: NTP64(rawValue: t0.rawValue + 5), id: peer))
        #expect(hlc.lastTime.rawValue == t0.rawValue + 6)
        // Remote equal to now, now the max: last = now... but last is ahead, so last + 1.
        try hlc.update(with: Timestamp(time: t0, id: peer))
        #expect(hlc.lastTime.rawValue == t0.rawValue + 7)
    }

    @Test func randomOperationsKeepEveryOrderingPromise() {
        // A random walk of physical time (including steps back), stamps and merges:
        // every stamp is greater than everything issued or accepted before it and
        // never below the masked physical time.
        var rng = Xorshift(seed: 2024)
        let (hlc, physical) = clock(at: t0)
        var highest = Timestamp(time: NTP64(rawValue: 0), id: me)
        for _ in 0..<20_000 {
            switch rng.next() % 4 {
            case 0:
                let step = rng.next() % (1 << 30)
                let now = physical.now().rawValue
                physical.set(NTP64(rawValue: rng.next() % 8 == 0 ? now - step : now + step))
            case 1:
                let now = physical.now().rawValue & ~0xF
                let offset = rng.next() % (2 * halfSecond + 2)
                let remote = Timestamp(time: NTP64(rawValue: now - halfSecond + offset), id: peer)
                do {
                    try hlc.update(with: remote)
                    #expect(remote.time.rawValue <= now + halfSecond)
                    highest = max(highest, remote)
                } catch {
                    #expect(remote.time.rawValue > now + halfSecond)
                }
            default:
                let ts = hlc.newTimestamp()
                #expect(ts > highest)
                #expect(ts.time.rawValue >= physical.now().rawValue & ~0xF)
                highest = ts
            }
        }
    }

    @Test func monotonicAndUniqueUnderConcurrency() async {
        let hlc = HybridLogicalClock(id: me)
        let perTask = 5_000
        let tasks = 8
        let sequences = await withTaskGroup(of: [Timestamp].self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var out: [Timestamp] = []
                    out.reserveCapacity(perTask)
                    for _ in 0..<perTask { out.append(hlc.newTimestamp()) }
                    return out
                }
            }
            var all: [[Timestamp]] = []
            for await s in group { all.append(s) }
            return all
        }
        for s in sequences {
            #expect(zip(s, s.dropFirst()).allSatisfy { $0 < $1 })
        }
        let all = sequences.flatMap { $0 }
        #expect(Set(all).count == tasks * perTask)
    }

    @Test func peersExchangingTimestampsConcurrently() async {
        // Four clocks in a ring, each merging what its neighbour stamps (uhlc's own
        // parallel test): every stamp is accepted and all are distinct.
        let ids = (1...4).map { ZenohID(high: 0, low: UInt64($0))! }
        let clocks = ids.map { HybridLogicalClock(id: $0) }
        let results = await withTaskGroup(of: ([Timestamp], Int).self) { group in
            for i in 0..<4 {
                group.addTask {
                    var out: [Timestamp] = []
                    var refused = 0
                    for _ in 0..<5_000 {
                        let ts = clocks[i].newTimestamp()
                        do { try clocks[(i + 1) % 4].update(with: ts) } catch { refused += 1 }
                        out.append(ts)
                    }
                    return (out, refused)
                }
            }
            var all: [([Timestamp], Int)] = []
            for await r in group { all.append(r) }
            return all
        }
        for (s, refused) in results {
            #expect(refused == 0)
            #expect(zip(s, s.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(Set(results.flatMap { $0.0 }).count == 20_000)
    }

    @Test func systemClockReadsTheWallClock() {
        let now = SystemClock().now()
        // After 2024-01-01 and before 2100: a sanity check, not a precision test.
        #expect(now.seconds > 1_704_067_200)
        #expect(now.seconds < 4_102_444_800)
        let hlc = HybridLogicalClock(id: me)
        let ts = hlc.newTimestamp()
        #expect(ts.time.rawValue & 0xF == 0)  // a fresh clock stamps the masked physical time
        #expect(ts.time.rawValue >= now.rawValue & ~0xF)
    }
}
