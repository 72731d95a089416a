import NIOCore
import PetrelWire

/// Splits a stream link's bytes into batches: a 2-byte little-endian length,
/// then that many bytes (zenoh-wire.md §5). A length of zero or one that
/// exceeds the negotiated batch size is a framing error and closes the link.
final class StreamBatchDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    var maxBatchSize: Int

    init(maxBatchSize: Int = 65535) {
        self.maxBatchSize = maxBatchSize
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length: UInt16 = buffer.getInteger(at: buffer.readerIndex, endianness: .little) else { return .needMoreData }
        let n = Int(length)
        guard n > 0, n + 2 <= max(maxBatchSize, 2) + 2 else {
            throw LinkFramingError.badLength(n)
        }
        guard buffer.readableBytes >= 2 + n else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        let batch = buffer.readSlice(length: n)!
        context.fireChannelRead(wrapInboundOut(batch))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
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
