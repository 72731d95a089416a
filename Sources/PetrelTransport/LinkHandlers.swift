import NIOCore
import PetrelWire

/// Splits a stream link's bytes into batches: a 2-byte little-endian length,
/// then that many bytes (zenoh-wire.md §5). A length of zero is a framing
/// error and closes the link; a batch larger than the negotiated size is
/// refused by the session handler behind this one.
///
/// Not NIO's generic `ByteToMessageHandler`: that one costs ~10% of a
/// ping/pong turnaround in generic metadata lookups, and copies every read
/// into its accumulation buffer. Here whole batches leave as slices of the
/// read they came in; only a batch cut between two reads is gathered, in a
/// buffer of its own that is never larger than one batch.
final class StreamBatchFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The start of a batch whose rest has not arrived yet (length prefix included).
    private var cut = ByteBuffer()
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        if cut.readableBytes > 0 {
            guard completeCut(from: &bytes, context: context) else { return }
        }
        while let length: UInt16 = bytes.getInteger(at: bytes.readerIndex, endianness: .little) {
            guard length > 0 else { return fail(context) }
            guard bytes.readableBytes >= 2 + Int(length) else { break }
            bytes.moveReaderIndex(forwardBy: 2)
            // A batch that closes the link (a Close, garbage) leaves the
            // session handler closed: it ignores the batches after it.
            context.fireChannelRead(wrapInboundOut(bytes.readSlice(length: Int(length))!))
        }
        if bytes.readableBytes > 0 {
            cut.clear()
            cut.writeBuffer(&bytes)
        }
    }

    /// Moves into `cut` what the batch begun there still lacks, and passes it
    /// on once whole. Returns false if `bytes` ran out (or framing failed) first.
    private func completeCut(from bytes: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        if cut.readableBytes < 2 {
            var head = bytes.readSlice(length: min(2 - cut.readableBytes, bytes.readableBytes))!
            cut.writeBuffer(&head)
            guard cut.readableBytes == 2 else { return false }
        }
        let length = Int(cut.getInteger(at: cut.readerIndex, endianness: .little, as: UInt16.self)!)
        guard length > 0 else {
            fail(context)
            return false
        }
        var rest = bytes.readSlice(length: min(2 + length - cut.readableBytes, bytes.readableBytes))!
        cut.writeBuffer(&rest)
        guard cut.readableBytes == 2 + length else { return false }
        cut.moveReaderIndex(forwardBy: 2)
        // Emptied when the next cut batch is stored: by then this slice is gone and no copy is made.
        let batch = cut.readSlice(length: length)!
        context.fireChannelRead(wrapInboundOut(batch))
        return !failed
    }

    private func fail(_ context: ChannelHandlerContext) {
        failed = true
        context.fireErrorCaught(LinkFramingError.badLength(0))
    }
}

enum LinkFramingError: Error, CustomStringConvertible {
    case badLength(Int)
    var description: String {
        switch self {
        case .badLength(let n): return "stream framing error: batch length \(n) is outside 1...65535"
        }
    }
}

/// Unwraps received datagrams to their bytes (one datagram = one batch) and
/// wraps outgoing batches for the connected peer address.
final class DatagramBatchCodec: ChannelDuplexHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let remote: SocketAddress

    init(remote: SocketAddress) {
        self.remote = remote
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        // The router answers from the address we talk to; anything else is not our session.
        guard envelope.remoteAddress == remote else { return }
        context.fireChannelRead(wrapInboundOut(envelope.data))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: promise)
    }
}
