import Foundation
import PetrelTestSupport
import PetrelTime
import Testing
@testable import PetrelAgent

/// The agent's offline buffer when its log cannot be written: the sample is
/// refused, and the log says why instead of only counting it.
@Suite("offline buffer: a log that cannot be written")
struct OfflineBufferTests {
    @Test("a sample the log cannot take is refused and the error log names the reason, once, not per sample")
    func refusedWithReason() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-offline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = LogLines()
        let buffer = try OfflineBuffer.open(directory: dir, config: BufferConfig(), logger: lines.logger("test"))
        let sample = UplinkSample(kind: .put, key: "farm/pi1/temp", payload: Array("21.5".utf8),
                                  timestamp: Timestamp(time: NTP64(seconds: 1_719_847_926, nanoseconds: 0),
                                                       id: ZenohID(high: 0, low: 0xA1)!))
        #expect(buffer.keep(sample))
        try buffer.log.close()
        #expect(!buffer.keep(sample))
        #expect(!buffer.keep(sample))
        let errors = lines.values.filter { $0.hasPrefix("error") }
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("offline buffer cannot write") == true)
        #expect(errors.first?.contains("closed") == true, "\(errors)")
    }
}

@Suite("log throttle: repeated trouble is logged when it starts and every thousand after")
struct LogThrottleTests {
    @Test("the first, and each counter step that passes a multiple of 1000, deserve a line; the rest do not")
    func marks() {
        #expect(LogThrottle.shouldLog(from: 0, to: 1))
        #expect(!LogThrottle.shouldLog(from: 1, to: 2))
        #expect(!LogThrottle.shouldLog(from: 998, to: 999))
        #expect(LogThrottle.shouldLog(from: 999, to: 1000))
        #expect(!LogThrottle.shouldLog(from: 1000, to: 1001))
        #expect(LogThrottle.shouldLog(from: 1990, to: 2010), "a batch that jumps over 2000 counts")
        #expect(!LogThrottle.shouldLog(from: 2010, to: 2990))
    }
}
