import Synchronization
import Testing
import PetrelTime
@testable import PetrelStorage

private struct LinkDropped: Error, Equatable {}

/// Collects what a replay sent; can fail a chosen batch like a dropped link.
private final class FakeUplink: Sendable {
    let received = Mutex<[OfflineRecord]>([])
    let batches = Mutex(0)
    let failBatch: Int?

    init(failBatch: Int? = nil) { self.failBatch = failBatch }

    func send(_ batch: [OfflineRecord]) async throws(LinkDropped) {
        let n = batches.withLock { n in n += 1; return n }
        if n == failBatch {
            // Part of the batch went out before the link dropped.
            received.withLock { $0 += batch.prefix(batch.count / 2) }
            throw LinkDropped()
        }
        received.withLock { $0 += batch }
    }
}

@Suite("Offline log: replay after reconnect")
struct OfflineReplayerTests {
    @Test("replay sends everything in timestamp order with the original timestamps, then the log is empty")
    func drainsInTimestampOrder() async throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, segmentBytes: 2_000)
        var g = LogTestRandom(seed: 17)
        var appended: [OfflineRecord] = []
        for i in 1...200 {
            var r = sampleRecord(i)
            // Mostly in order (one clock), with a few stragglers from another clock.
            let jitter = Int.random(in: 0..<10, using: &g) == 0 ? -Int.random(in: 1...5, using: &g) : 0
            r.timestamp = Timestamp(time: NTP64(seconds: UInt64(1_000 + i + jitter), nanoseconds: 0),
                                    id: jitter == 0 ? testClockID : ZenohID(high: 0, low: 7)!)
            appended.append(r.stored(as: UInt64(i)))
            _ = try log.append(r)
        }
        let uplink = FakeUplink()
        let replayer = OfflineReplayer(log: log, batchSize: 1_000, recordsPerSecond: nil)
        let sent = try await replayer.run(send: uplink.send)
        #expect(sent == 200)
        let received = uplink.received.withLock { $0 }
        #expect(received == OfflineRecord.sortedForReplay(appended))
        #expect(zip(received, received.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(log.snapshot().pendingRecords == 0)
        #expect(log.acknowledgedThrough == 200)
        #expect(segmentFiles(dir.log).count == 1)
    }

    @Test("a link drop stops replay; the next replay (also after a restart) resumes at the unacknowledged batch")
    func resumesAfterLinkDrop() async throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        do {
            let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 1_500)
            for i in 1...100 { _ = try log.append(sampleRecord(i)) }
            let uplink = FakeUplink(failBatch: 3)
            let replayer = OfflineReplayer(log: log, batchSize: 20, recordsPerSecond: nil)
            do {
                _ = try await replayer.run(send: uplink.send)
                Issue.record("replay did not stop at the dropped link")
            } catch {
                guard case .send(let e) = error else { Issue.record("\(error)"); return }
                #expect(e == LinkDropped())
            }
            #expect(log.acknowledgedThrough == 40)
            #expect(uplink.received.withLock { $0.count } == 50)  // two batches and half of the third
            try log.close()
        }
        // Restart: replay resumes after the persisted cursor, re-sending the batch that was cut.
        let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 1_500)
        #expect(log.acknowledgedThrough == 40)
        let uplink = FakeUplink()
        let sent = try await OfflineReplayer(log: log, batchSize: 20, recordsPerSecond: nil).run(send: uplink.send)
        #expect(sent == 60)
        #expect(uplink.received.withLock { $0.map(\.sequence) } == Array(41...100))
        #expect(log.snapshot().pendingRecords == 0)
    }

    @Test("replay is rate-limited")
    func rateLimited() async throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log)
        for i in 1...200 { _ = try log.append(sampleRecord(i)) }
        let uplink = FakeUplink()
        let clock = ContinuousClock()
        let start = clock.now
        let sent = try await OfflineReplayer(log: log, batchSize: 25, recordsPerSecond: 1_000).run(send: uplink.send)
        let elapsed = clock.now - start
        #expect(sent == 200)
        #expect(elapsed >= .milliseconds(190), "200 records at 1000/s took \(elapsed)")
    }
}
