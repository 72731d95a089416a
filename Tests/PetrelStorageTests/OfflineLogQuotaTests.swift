import Testing
import PetrelTime
@testable import PetrelStorage

@Suite("Offline log: byte and age quotas")
struct OfflineLogQuotaTests {
    @Test("drop-oldest keeps the newest records and counts exactly what is missing")
    func dropOldest() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, maxBytes: 10_000, whenFull: .dropOldest)
        #expect(log.segmentBytes == 2_500)
        var droppedByOutcomes = 0
        for i in 1...600 {
            let outcome = try log.append(sampleRecord(i))
            #expect(outcome.sequence == UInt64(i))
            if case .appendedAfterDroppingOldest(_, let dropped) = outcome { droppedByOutcomes += dropped }
            #expect(log.snapshot().bytes <= 10_000)
        }
        let present = try log.readAll().map(\.sequence)
        let snapshot = log.snapshot()
        #expect(snapshot.droppedOldest > 0)
        #expect(UInt64(present.count) + snapshot.droppedOldest == 600)
        #expect(Int(snapshot.droppedOldest) == droppedByOutcomes)
        #expect(present == Array((600 - UInt64(present.count) + 1)...600))
        #expect(snapshot.pendingRecords == present.count)
        #expect(snapshot.bytes == segmentFiles(dir.log).reduce(0) { $0 + fileBytes($1).count })
    }

    @Test("drop-oldest does not count acknowledged records as dropped")
    func dropOldestAfterAcknowledge() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, maxBytes: 10_000, whenFull: .dropOldest)
        for i in 1...100 { _ = try log.append(sampleRecord(i)) }
        try log.acknowledge(through: 70)
        for i in 101...600 { _ = try log.append(sampleRecord(i)) }
        let present = try log.readAll(after: log.acknowledgedThrough).map(\.sequence)
        #expect(UInt64(present.count) + log.snapshot().droppedOldest == 600 - 70)
        #expect(present.last == 600)
    }

    @Test("drop-newest keeps the oldest records and counts every refused one")
    func dropNewest() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, maxBytes: 10_000, whenFull: .dropNewest)
        var refused = 0
        for i in 1...600 {
            let outcome = try log.append(sampleRecord(i))
            if outcome == .droppedNewest { refused += 1 }
        }
        let present = try log.readAll()
        let snapshot = log.snapshot()
        #expect(refused > 0)
        #expect(snapshot.droppedNewest == UInt64(refused))
        #expect(present.count + refused == 600)
        // The kept records are the first ones, in order, intact.
        #expect(present == (1...present.count).map { sampleRecord($0).stored(as: UInt64($0)) })
        #expect(snapshot.bytes <= 10_000)
        // Acknowledging frees whole segments, and appends are accepted again.
        try log.acknowledge(through: UInt64(present.count))
        #expect(try log.append(sampleRecord(601)) == .appended(sequence: UInt64(present.count + 1)))
    }

    @Test("records older than maxAge are dropped at append, counted, and their segments deleted")
    func ageAtAppend() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let clock = ManualClock(NTP64(seconds: 1_000_000, nanoseconds: 0))
        let log = try OfflineLog.open(dir.log, maxAge: .seconds(10), segmentBytes: 300, clock: { clock.now() })
        func record(_ i: Int) -> OfflineRecord {
            var r = sampleRecord(i)
            r.timestamp.time = clock.now()
            return r
        }
        for i in 1...60 {
            if i > 1 { clock.advance(by: .milliseconds(500)) }
            _ = try log.append(record(i))
        }
        // Now is 29.5 s after the first record; records from the last 10 s remain.
        let now = clock.now()
        let cutoff = NTP64(rawValue: now.rawValue - NTP64(duration: .seconds(10)).rawValue)
        let present = try log.readAll()
        #expect(present.allSatisfy { $0.timestamp.time >= cutoff })
        #expect(UInt64(present.count) + log.snapshot().droppedAge == 60)
        #expect(present.map(\.sequence) == Array((60 - UInt64(present.count) + 1)...60))
        #expect(present.count == 21)  // 10 s at 2 records per second, plus the one at the cutoff
        #expect(segmentFiles(dir.log).count < 10)
        #expect(log.snapshot().pendingRecords == present.count)
        // Reading applies the age quota too: replay never sends what aged meanwhile.
        clock.advance(by: .seconds(5))
        #expect(try log.readAll().count == 11)
        #expect(log.snapshot().droppedAge == 49)
    }

    @Test("records that aged while the log was closed are dropped at open")
    func ageAtOpen() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let clock = ManualClock(NTP64(seconds: 1_000_000, nanoseconds: 0))
        do {
            let log = try OfflineLog.open(dir.log, maxAge: .seconds(60), segmentBytes: 400, clock: { clock.now() })
            for i in 1...30 {
                var r = sampleRecord(i)
                r.timestamp.time = clock.now()
                _ = try log.append(r)
                clock.advance(by: .seconds(1))
            }
            try log.acknowledge(through: 5)
            try log.close()
        }
        clock.advance(by: .seconds(45))  // records 1...15 are now older than 60 s
        let log = try OfflineLog.open(dir.log, maxAge: .seconds(60), segmentBytes: 400, clock: { clock.now() })
        #expect(log.snapshot().droppedAge == 10)  // 6...15: 1...5 were acknowledged, not dropped
        #expect(try log.readAll(after: log.acknowledgedThrough).map(\.sequence) == Array(16...30))
        clock.advance(by: .seconds(1_000))
        #expect(try log.append(sampleRecord(31)).sequence == 31)  // (stamped long ago: dropped next time)
        #expect(log.snapshot().droppedAge == 25)
    }

    @Test("age drops the leading run of old records; an older record behind a younger one waits")
    func ageIsAPrefix() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let clock = ManualClock(NTP64(seconds: 1_000, nanoseconds: 0))
        let log = try OfflineLog.open(dir.log, maxAge: .seconds(50), clock: { clock.now() })
        func at(_ seconds: UInt64, _ i: Int) -> OfflineRecord {
            var r = sampleRecord(i)
            r.timestamp.time = NTP64(seconds: seconds, nanoseconds: 0)
            return r
        }
        _ = try log.append(at(1_000, 1))
        _ = try log.append(at(1_100, 2))  // from a clock ahead of ours
        _ = try log.append(at(1_000, 3))
        clock.advance(by: .seconds(60))
        _ = try log.append(at(1_060, 4))
        #expect(try log.readAll().map(\.sequence) == [2, 3, 4])
        #expect(log.snapshot().droppedAge == 1)
        clock.advance(by: .seconds(100))  // now 1_160: 2 (1_100) is 60 s old
        _ = try log.append(at(1_160, 5))
        #expect(try log.readAll().map(\.sequence) == [5])
        #expect(log.snapshot().droppedAge == 4)
    }
}
