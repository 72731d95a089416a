import Foundation
import Logging
import Synchronization
import Testing
import PetrelSession
import PetrelTime
import PetrelTransport
@testable import PetrelAgent

/// The uplink's background writer: callers on an event-loop thread hand
/// samples over without waiting for the disk; everything handed over reaches
/// the buffer, in order, before the agent closes it.
@Suite("uplink: samples kept from an event-loop thread")
struct UplinkBackgroundWriterTests {
    /// A buffer on a slow medium: every sample takes 20 ms to keep.
    final class SlowBuffer: UplinkBuffer {
        let kept = Mutex<[String]>([])
        func keep(_ sample: UplinkSample) -> Bool {
            Thread.sleep(forTimeInterval: 0.02)
            kept.withLock { $0.append(String(decoding: sample.payload, as: UTF8.self)) }
            return true
        }
        func nextForReplay(max: Int) -> [(sequence: UInt64, sample: UplinkSample)] { [] }
        func acknowledge(through sequence: UInt64) {}
        var waitingCount: Int { kept.withLock { $0.count } }
    }

    func sample(_ n: Int) -> UplinkSample {
        UplinkSample(kind: .put, key: "dev/reading", payload: Array("\(n)".utf8),
                     timestamp: Timestamp(time: NTP64(seconds: 1_719_847_926, nanoseconds: UInt32(n)), id: ZenohID(high: 0, low: 0xA1)!))
    }

    /// An uplink over a session that stays disconnected (no router at that
    /// address), keeping into a slow buffer.
    func offlineUplink() async throws -> (Session, SlowBuffer, Uplink) {
        let session = try await Session.open(SessionConfig(connect: [try Endpoint("tcp/127.0.0.1:9")]))
        let buffer = SlowBuffer()
        return (session, buffer, Uplink(session: session, buffer: buffer, logger: Logger(label: "test")))
    }

    @Test("a device's readings kept while no router is connected: handed over at once, written in order, all there after stop")
    func handedOverWithoutWaiting() async throws {
        let (session, buffer, uplink) = try await offlineUplink()
        defer { Task { await session.close() } }

        let started = ContinuousClock.now
        for n in 0..<10 { uplink.keepForReplay(sample(n)) }
        let handingOver = ContinuousClock.now - started
        #expect(handingOver < .milliseconds(100), "keeping 10 samples took \(handingOver): the caller waited for the disk")

        uplink.stop()
        uplink.keepForReplay(sample(10))   // after stop: written at once
        await uplink.finishWriting()
        let kept = buffer.kept.withLock { $0 }
        #expect(Set(kept) == Set((0...10).map(String.init)))
        #expect(kept.filter { $0 != "10" } == (0..<10).map(String.init), "the background writer kept them out of order: \(kept)")
        #expect(uplink.counters.buffered == 11)
    }

    @Test("a reading whose key is not a key expression is refused when published, not kept to stop the replay later")
    func invalidKeyRefused() async throws {
        let (session, buffer, uplink) = try await offlineUplink()
        defer { Task { await session.close() } }
        var bad = sample(1)
        bad.key = "farm//temp"
        await uplink.publish(bad)
        await uplink.publish(sample(2))
        #expect(buffer.kept.withLock { $0 } == ["2"])
        #expect(uplink.counters.refused == 1)
        #expect(uplink.counters.buffered == 1)
        uplink.stop()
    }
}
