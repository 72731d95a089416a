import Foundation
import NIOCore
import NIOPosix
import PetrelSerialPort
import PetrelTransport
import Testing

@Suite("Serial link over a noisy line", .serialized, .timeLimit(.minutes(1)))
struct SerialFrameNoiseTests {
    @Test("corrupt frames (flipped bit, truncated, garbage, oversize, bad flags) are dropped and counted; good frames around them and a frame trickled byte by byte are delivered")
    func noisyLine() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atListener = Received()
        let stats = SerialLinkStatistics()
        let listener = try await SerialLink.openChannel(endpoint: try Endpoint("serial/\(cable.a)#baudrate=115200"), role: .listener,
                                                        group: MultiThreadedEventLoopGroup.singleton, statistics: stats) { channel in
            try channel.pipeline.syncOperations.addHandler(atListener.handler())
        }
        defer { listener.close(promise: nil) }
        let peer = try RawPeer(cable.b)
        try peer.write(Wire.initFrame)
        #expect(peer.readFrame() == Wire.initAck)

        let hello = Array("hello world".utf8)
        var flipped = wireFrame(hello)
        flipped[flipped.firstIndex(of: UInt8(ascii: "h"))!] ^= 0x01  // 'h' → 'i': the CRC no longer matches
        let truncated = Array(wireFrame(Array("truncated".utf8)).prefix(7)) + [0]  // cut mid-block
        let garbage: [UInt8] = [0x41, 0x42, 0x43, 0xFF, 0x13, 0x00]  // a COBS block promising 64 bytes
        let oversize = forgedFrame(flags: 0, length: 2000, [UInt8](repeating: 0x55, count: 2000))
        let flagsWithData = forgedFrame(flags: 0x01, length: 1, [0x04])
        let wrongLength = forgedFrame(flags: 0, length: 5, [1, 2, 3])

        try peer.write(wireFrame([1]) + flipped + wireFrame([2]) + truncated + garbage + wireFrame([3]))
        try peer.write(oversize + wireFrame([4]) + flagsWithData + wrongLength + wireFrame([5]))
        // Line noise with no delimiter lands on the next frame: that frame is lost, the one after is not.
        try peer.write([0x7E, 0x7E] + wireFrame([6]) + wireFrame([7]))
        // A frame split across many reads.
        try await peer.trickle(wireFrame(Array(0..<200)), chunk: 3)
        try peer.write(wireFrame([8]))

        let expected: [[UInt8]] = [[1], [2], [3], [4], [5], [7], Array(0..<200), [8]]
        #expect(await atListener.waitUntil { $0.batches.count >= expected.count })
        #expect(atListener.batches == expected)
        let c = stats.counters
        #expect(c.received.crcMismatches == 1)
        #expect(c.received.oversize == 1)
        #expect(c.received.badFlags == 1)
        #expect(c.received.cobsErrors + c.received.badLengths + c.received.crcMismatches == 1 + 1 + 1 + 1 + 1,
                "flipped, truncated, garbage, wrong length, noise-prefixed: \(c)")
        #expect(c.rejected == 7, "\(c)")
        #expect(c.received.delivered == expected.count + 1)  // and the Init
        #expect(listener.isActive)
    }

    @Test("a read that fills NIO's whole receive buffer (2048 bytes) is not taken for end of file: the link stays up")
    func readFillingTheBuffer() async throws {
        let cable = try PtyPair()
        defer { cable.stop() }
        let atListener = Received()
        let listener = try await SerialLink.openChannel(endpoint: try Endpoint("serial/\(cable.a)#baudrate=115200"), role: .listener,
                                                        group: MultiThreadedEventLoopGroup.singleton) { channel in
            try channel.pipeline.syncOperations.addHandler(atListener.handler())
        }
        defer { listener.close(promise: nil) }
        let peer = try RawPeer(cable.b)
        try peer.write(Wire.initFrame)
        #expect(peer.readFrame() == Wire.initAck)
        // NIO's first receive buffer is 2048 bytes; when a read fills it, NIO
        // reads again at once, and a tty left at VMIN = 0 answers that read
        // with 0 bytes (no EAGAIN), which NIO takes for end of file.
        let a = [UInt8](repeating: 0x41, count: 1500), b = [UInt8](repeating: 0x42, count: 400)
        var bytes = wireFrame(a) + wireFrame(b)
        bytes += [UInt8](repeating: 0, count: 2048 - bytes.count)  // empty frames: resync delimiters, skipped
        try peer.write(bytes)
        #expect(await atListener.waitUntil { $0.batches.count == 2 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(listener.isActive)
        try peer.write(wireFrame([0x04]))
        #expect(await atListener.waitUntil { $0.batches.count == 3 })
    }
}
