import Synchronization
import Testing
import PetrelTime
@testable import PetrelStorage

@Suite("Offline log: concurrent appenders and group commit")
struct OfflineLogConcurrencyTests {
    @Test("many threads appending with every-record: each append returns durable, all records kept, fsyncs shared")
    func groupCommit() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 8_000)
        let threads = 8, perThread = 150
        let sequences = Mutex<[UInt64]>([])
        let failures = Mutex<[String]>([])
        onThreads(threads) { t in
            for i in 0..<perThread {
                do {
                    let outcome = try log.append(sampleRecord(t * 1_000 + i))
                    guard let sequence = outcome.sequence else { throw OfflineLogError.closed(path: "dropped") }
                    // Returned means durable: the group commit covered it.
                    if log.snapshot().durableThrough < sequence {
                        failures.withLock { $0.append("append \(sequence) returned before it was durable") }
                    }
                    sequences.withLock { $0.append(sequence) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let total = threads * perThread
        #expect(sequences.withLock { $0.sorted() } == Array(1...UInt64(total)))
        let snapshot = log.snapshot()
        #expect(snapshot.durableThrough == UInt64(total))
        // Group commit: concurrent appenders share fsyncs (rotations sync too,
        // outside this count).
        #expect(snapshot.syncs < UInt64(total) / 2, "\(snapshot.syncs) fsyncs for \(total) appends")
        try log.close()

        // Everything is there after a reopen; each thread's records in its own order.
        let reopened = try OfflineLog.open(dir.log, segmentBytes: 8_000)
        let records = try reopened.readAll()
        #expect(records.count == total)
        let byThread = Dictionary(grouping: records) { r in
            Int(String(decoding: r.payload, as: UTF8.self).split(separator: "-")[1])! / 1_000
        }
        for t in 0..<threads {
            let indices = byThread[t]!.map { Int(String(decoding: $0.payload, as: UTF8.self).split(separator: "-")[1])! % 1_000 }
            #expect(indices == Array(0..<perThread))
        }
    }

    @Test("concurrent appenders with the periodic and never policies keep every record", arguments: [FsyncPolicy.every(milliseconds: 2), .never])
    func concurrentOtherPolicies(policy: FsyncPolicy) throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, policy: policy, segmentBytes: 4_000)
        onThreads(4) { t in
            for i in 0..<500 { _ = try? log.append(sampleRecord(t * 1_000 + i)) }
        }
        #expect(log.snapshot().appended == 2_000)
        try log.close()
        if policy != .never { #expect(log.snapshot().durableThrough == 2_000) }
        #expect(try OfflineLog.open(dir.log).readAll().map(\.sequence) == Array(1...2_000))
    }

    @Test("readers and acknowledgers run alongside appenders")
    func readWhileAppending() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, segmentBytes: 2_000)
        let done = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        onThreads(2) { t in
            if t == 0 {
                for i in 1...3_000 { _ = try? log.append(sampleRecord(i)) }
                done.store(true, ordering: .releasing)
            } else {
                var cursor: UInt64 = 0
                while true {
                    let finished = done.load(ordering: .acquiring)
                    do {
                        let batch = try log.readBatch(after: cursor, max: 100)
                        for (k, r) in batch.enumerated()
                        where r.sequence != cursor + UInt64(k) + 1 || r != sampleRecord(Int(r.sequence)).stored(as: r.sequence) {
                            problems.withLock { $0.append("unexpected \(r.sequence) at \(k) after \(cursor)") }
                            return
                        }
                        if let last = batch.last?.sequence {
                            cursor = last
                            try log.acknowledge(through: cursor)
                        } else if finished {
                            break
                        }
                    } catch {
                        problems.withLock { $0.append("\(error)") }
                        return
                    }
                }
                if cursor != 3_000 { problems.withLock { $0.append("ended at \(cursor)") } }
            }
        }
        #expect(problems.withLock { $0 } == [])
        #expect(log.snapshot().pendingRecords == 0)
        #expect(segmentFiles(dir.log).count == 1)
    }
}
