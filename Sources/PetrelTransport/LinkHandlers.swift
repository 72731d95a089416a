import NIOCore
import PetrelWire

/// Splits a stream link's bytes into batches: a 2-byte little-endian length,
/// then that many bytes (zenoh-wire.md §5). A length of zero is a framing
/// error and closes the link; a batch larger than the negotiated size is
/// refused by the transport handler behind this one.
///
/// Not NIO's generic `ByteToMessageHandler`: that one costs ~10% of a
/// ping/pong turnaround in generic metadata lookups and its accumulation
/// buffer. Here a read holding whole batches passes slices of itself on
/// without copying; only a batch cut between two reads is gathered.
final class StreamBatchFramer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The start of a batch whose rest has not arrived yet.
    private var partial: ByteBuffer?
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        if var head = partial.take() {
            head.writeBuffer(&bytes)
            bytes = head
        }
        while let length: UInt16 = bytes.getInteger(at: bytes.readerIndex, endianness: .little) {
            guard length > 0 else {
                failed = true
                context.fireErrorCaught(LinkFramingError.badLength(0))
                return
            }
            guard bytes.readableBytes >= 2 + Int(length) else { break }
            bytes.moveReaderIndex(forwardBy: 2)
            // A batch that closes the link (a Close, garbage) leaves the
            // transport handler closed: it ignores the batches after it.
            context.fireChannelRead(wrapInboundOut(bytes.readSlice(length: Int(length))!))
        }
        if bytes.readableBytes > 0 { partial = bytes }
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
