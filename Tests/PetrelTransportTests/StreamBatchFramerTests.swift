import NIOCore
import NIOEmbedded
import PetrelTestSupport
import Testing
@testable import PetrelTransport

/// A TCP link's bytes arrive cut wherever the kernel cut them; the framer
/// must hand the transport exactly the batches the peer sent.
@Suite("Splitting a stream link into batches")
struct StreamBatchFramerTests {
    static func framed(_ batches: [[UInt8]]) -> [UInt8] {
        batches.flatMap { b in [UInt8(b.count & 0xFF), UInt8(b.count >> 8)] + b }
    }

    static func run(_ chunks: [[UInt8]]) throws -> (batches: [[UInt8]], channel: EmbeddedChannel) {
        let channel = EmbeddedChannel(handler: StreamBatchFramer())
        var out: [[UInt8]] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            while var b = try channel.readInbound(as: ByteBuffer.self) { out.append(b.readBytes(length: b.readableBytes)!) }
        }
        return (out, channel)
    }

    @Test("several batches in one read come out one by one, in order")
    func severalInOneRead() throws {
        let batches: [[UInt8]] = [[1], [2, 3], Array(repeating: 9, count: 300)]
        let (got, channel) = try Self.run([Self.framed(batches)])
        #expect(got == batches)
        _ = try channel.finish()
    }

    @Test("a batch cut anywhere, even inside its length, comes out once it is whole")
    func cutAnywhere() throws {
        let batch = Array(0..<200).map { UInt8($0) }
        let bytes = Self.framed([batch])
        for cut in 1..<bytes.count {
            let (got, channel) = try Self.run([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(got == [batch], "cut at \(cut)")
            _ = try channel.finish()
        }
    }

    @Test("bytes arriving one at a time still make the batches")
    func byteByByte() throws {
        let batches: [[UInt8]] = [[1, 2, 3], [4], Array(repeating: 5, count: 600)]
        let (got, channel) = try Self.run(Self.framed(batches).map { [$0] })
        #expect(got == batches)
        _ = try channel.finish()
    }

    @Test("random batches in random reads come out as sent", arguments: 0..<20)
    func randomChunks(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let batches = (0..<Int.random(in: 1...40, using: &rng)).map { _ in
            (0..<Int.random(in: 1...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        var bytes = Self.framed(batches)[...]
        var chunks: [[UInt8]] = []
        while !bytes.isEmpty {
            let n = min(bytes.count, Int.random(in: 1...5000, using: &rng))
            chunks.append(Array(bytes.prefix(n)))
            bytes = bytes.dropFirst(n)
        }
        let (got, channel) = try Self.run(chunks)
        #expect(got == batches)
        _ = try channel.finish()
    }

    @Test("a zero length is a framing error, and nothing after it is passed on")
    func zeroLength() throws {
        let channel = EmbeddedChannel(handler: StreamBatchFramer())
        #expect(throws: LinkFramingError.self) {
            try channel.writeInbound(ByteBuffer(bytes: Self.framed([[1]]) + [0, 0] + Self.framed([[2]])))
        }
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [1]))
        try channel.writeInbound(ByteBuffer(bytes: Self.framed([[3]])))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
    }
}
