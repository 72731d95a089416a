import Foundation
import Logging
import Synchronization
import Testing
import PetrelSession
import PetrelSystem
import PetrelTime
import PetrelTransport
@testable import PetrelAgent

/// The uplink's waits for the disk (a keep under fsync every-record waits for
/// its fsync or a group commit) happen on threads of their own, not on Swift's
/// cooperative pool, whose few threads the session and bridges need.
@Suite("uplink: disk waits off the cooperative pool")
struct UplinkDiskThreadTests {
    /// A buffer whose keeps block (as a slow fsync does) until a gate opens,
    /// or give up after 5 s.
    final class GatedBuffer: UplinkBuffer {
        let gate = ConditionLock((waiting: 0, open: false, timedOut: 0))
        let kept = Atomic<Int>(0)
        func keep(_ sample: UplinkSample) -> Bool {
            let deadline = monotonicNanoseconds() + 5_000_000_000
            gate.withLock { locked in
                locked.value.waiting += 1
                while !locked.value.open && monotonicNanoseconds() < deadline {
                    locked.wait(untilMonotonicNanoseconds: deadline)
                }
                if !locked.value.open { locked.value.timedOut += 1 }
            }
            kept.add(1, ordering: .relaxed)
            return true
        }
        func nextForReplay(max: Int) -> [(sequence: UInt64, sample: UplinkSample)] { [] }
        func acknowledge(through sequence: UInt64) {}
        var waitingCount: Int { kept.load(ordering: .relaxed) }
    }

    /// Timestamped now: the offline log drops samples older than its age quota.
    static let clock = HybridLogicalClock(id: ZenohID(high: 0, low: 0xA2)!)

    func sample(_ n: Int) -> UplinkSample {
        UplinkSample(kind: .put, key: "dev/reading", payload: Array("\(n)".utf8), timestamp: Self.clock.newTimestamp())
    }

    /// More publishes wait for the disk at once than the cooperative pool has
    /// threads; only a task on that pool opens the gate. Had the waits blocked
    /// pool threads, that task could not run and every keep would time out.
    @Test("publishes waiting for the disk leave the cooperative pool free: another task runs meanwhile")
    func blockedKeepsLeaveThePoolFree() async throws {
        let session = try await Session.open(SessionConfig(connect: [try Endpoint("tcp/127.0.0.1:9")]))
        defer { Task { await session.close() } }
        let buffer = GatedBuffer()
        let uplink = Uplink(session: session, buffer: buffer, logger: Logger(label: "test"))
        let poolWidth = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        let publishes = poolWidth + 2
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<publishes { group.addTask { await uplink.publish(self.sample(n)) } }
            // Suspends (never blocks) until as many keeps block as there are disk threads for them.
            let blocking = min(publishes, Uplink.diskThreadCount)
            while buffer.gate.withLock({ $0.value.waiting }) < blocking { try? await Task.sleep(for: .milliseconds(1)) }
            buffer.gate.withLock { locked in
                locked.value.open = true
                locked.broadcast()
            }
            await group.waitForAll()
        }
        #expect(buffer.gate.withLock { $0.value.timedOut } == 0, "keeps blocked the cooperative pool until they timed out")
        #expect(uplink.counters.buffered == UInt64(publishes))
        uplink.stop()
    }

    @Test("many concurrent publishes into the offline log with fsync every-record: all kept, durable when publish returns")
    func everyRecordPublishes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-uplink-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = BufferConfig()
        config.fsync = .everyRecord
        let buffer = try OfflineBuffer.open(directory: dir, config: config, logger: Logger(label: "test"))
        let session = try await Session.open(SessionConfig(connect: [try Endpoint("tcp/127.0.0.1:9")]))
        defer { Task { await session.close() } }
        let uplink = Uplink(session: session, buffer: buffer, logger: Logger(label: "test"))

        let count = 400
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<count { group.addTask { await uplink.publish(self.sample(n)) } }
            await group.waitForAll()
        }
        #expect(uplink.counters.buffered == UInt64(count))
        let snapshot = buffer.log.snapshot()
        #expect(snapshot.pendingRecords == count, "\(snapshot)")
        #expect(snapshot.durableThrough == snapshot.lastSequence)
        uplink.stop()
        try buffer.log.close()
    }
}
