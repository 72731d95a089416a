import NIOCore
import NIOEmbedded
import PetrelWire
import Testing
@testable import PetrelTransport

/// When queued messages leave: at once under light traffic, gathered into
/// fuller batches under load.
@Suite("Flushing batches")
struct FlushPolicyTests {
    /// A pipeline whose interval between flushes under load is 10 s, so that
    /// whether a flush waited does not depend on how fast the test runs.
    static func pipeline() throws -> (TxPipeline, EmbeddedChannel) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7447)).wait()
        var settings = TxPipeline.Settings(framing: .stream, batchSize: 2048, qos: false, patch: false,
                                           space: SequenceNumberSpace(resolution: 0x0A), initialSN: 0)
        settings.minFlushInterval = .seconds(10)
        return (TxPipeline(channel: channel, settings: settings), channel)
    }

    static func push(_ i: Int) -> Push {
        Push(wireExpr: WireExpr("a/b"), body: .put(Put(payload: Array("\(i)".utf8)[...])))
    }

    /// A pipeline whose last flush carried three messages: "under load".
    static func pipelineUnderLoad() throws -> (TxPipeline, EmbeddedChannel) {
        let (tx, channel) = try pipeline()
        for i in 0..<3 { _ = tx.send(push(i), priority: .data, reliability: .reliable) }
        channel.embeddedEventLoop.run()
        #expect(try written(channel) == [3])
        return (tx, channel)
    }

    /// The batches written so far, as counts of the messages in each.
    static func written(_ channel: EmbeddedChannel) throws -> [Int] {
        var counts: [Int] = []
        while var b = try channel.readOutbound(as: ByteBuffer.self) {
            let bytes = b.readBytes(length: b.readableBytes)!
            var reader = BatchReader(bytes[2...])
            var n = 0
            while let item = try reader.next() { if case .network = item { n += 1 } }
            counts.append(n)
        }
        return counts
    }

    @Test("a message after a lone one leaves on the next loop turn, however soon after the last flush")
    func lightTraffic() throws {
        let (tx, channel) = try Self.pipeline()
        for i in 0..<5 {
            #expect(tx.send(Self.push(i), priority: .data, reliability: .reliable) == .queued)
            channel.embeddedEventLoop.run()
            #expect(try Self.written(channel) == [1], "message \(i)")
        }
        _ = try channel.finish()
    }

    @Test("under load a batch waits out the interval since the last flush and leaves fuller")
    func underLoad() throws {
        let (tx, channel) = try Self.pipelineUnderLoad()
        // The last flush carried several messages: the next ones wait for the interval to pass.
        for i in 3..<6 { _ = tx.send(Self.push(i), priority: .data, reliability: .reliable) }
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel) == [])
        channel.embeddedEventLoop.advanceTime(to: .now() + .seconds(20))
        #expect(try Self.written(channel) == [3])
        _ = try channel.finish()
    }

    @Test("an express message leaves at once even under load")
    func expressUnderLoad() throws {
        let (tx, channel) = try Self.pipelineUnderLoad()
        _ = tx.send(Self.push(3), priority: .data, reliability: .reliable, express: true)
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel) == [1])
        _ = try channel.finish()
    }
}
