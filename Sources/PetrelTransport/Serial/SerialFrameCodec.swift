import NIOCore
import PetrelWire

/// Zenoh's serial framing as a NIO handler (zenoh-wire.md §16): bytes read
/// from the port in, one `SerialLinkFrame` per good frame out; a
/// `SerialLinkFrame` written, one COBS-encoded, 0x00-terminated frame to the
/// port.
///
/// Reads are cut into frames by `SerialDeframer`, whatever way the port
/// splits them. Corrupt frames (CRC, length, COBS, oversize, flags) are normal
/// on a serial line: they are dropped and counted in `statistics`, never
/// passed on and never close the channel; the deframer is back in step at the
/// next 0x00.
///
/// A batch longer than `maxDataLength` (or handshake flags with data) fails
/// the write's promise with `SerialLinkError.batchTooLarge` and sends nothing.
public final class SerialFrameCodec: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = SerialLinkFrame
    public typealias OutboundIn = SerialLinkFrame
    public typealias OutboundOut = ByteBuffer

    public let statistics: SerialLinkStatistics
    /// The largest batch sent or accepted: zenoh's serial MTU, 1500, by default.
    public let maxDataLength: Int
    private var deframer: SerialDeframer

    public init(maxDataLength: Int = SerialFraming.defaultMaxDataLength, statistics: SerialLinkStatistics = SerialLinkStatistics()) {
        self.maxDataLength = maxDataLength
        self.statistics = statistics
        self.deframer = SerialDeframer(maxDataLength: maxDataLength)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard let raw = bytes.readBytes(length: bytes.readableBytes), !raw.isEmpty else { return }
        deframer.feed(raw)
        var frames: [SerialLinkFrame] = []
        while let frame = deframer.nextFrame() {
            frames.append(SerialLinkFrame(flags: frame.flags, payload: context.channel.allocator.buffer(bytes: frame.payload)))
        }
        let received = deframer.counters
        statistics.update { $0.received = received }
        // Counters first, so whoever reacts to a frame sees them up to date.
        for frame in frames {
            context.fireChannelRead(wrapInboundOut(frame))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        let size = frame.payload.readableBytes
        guard size <= maxDataLength, frame.flags == 0 || size == 0 else {
            statistics.update { $0.oversizeBatchesRefused += 1 }
            promise?.fail(SerialLinkError.batchTooLarge(size: size, max: maxDataLength))
            return
        }
        let capacity = SerialFraming.maxEncodedSize(dataLength: size)
        var out = context.channel.allocator.buffer(capacity: capacity)
        var failure: EncodeError?
        let maxDataLength = self.maxDataLength
        _ = frame.payload.withUnsafeReadableBytes { data in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { room in
                var w = WireWriter(room)
                do throws(EncodeError) {
                    try SerialFraming.encode(flags: frame.flags, data: data, into: &w, maxDataLength: maxDataLength)
                } catch {
                    failure = error
                }
                return w.count
            }
        }
        if failure != nil {
            // Checked above; kept so that a codec change cannot send half a frame.
            statistics.update { $0.oversizeBatchesRefused += 1 }
            promise?.fail(SerialLinkError.batchTooLarge(size: size, max: maxDataLength))
            return
        }
        statistics.update { $0.framesSent += 1 }
        context.write(wrapOutboundOut(out), promise: promise)
    }
}
