import NIOConcurrencyHelpers
import NIOCore
import PetrelWire

/// The transmit side of a session: puts network messages into frames, frames
/// into batches, and batches on the link, in SN order.
///
/// Producers on any thread encode straight into the open batch under a lock
/// (no allocation per message). A batch leaves when it is full, or when the
/// event loop gets round to the flush that the first message of a batch
/// scheduled: under light traffic that is one loop hop of latency, under load
/// batches fill up before the flush runs. Messages larger than a batch are cut
/// into fragments (§14) without interleaving anything on their channel.
final class TxPipeline: @unchecked Sendable {
    struct Settings {
        /// The link's framing: whether each batch starts with its length.
        var framing: LinkFraming
        /// Largest batch including the prefix (the negotiated batch size).
        var batchSize: Int
        var qos: Bool
        var patch: Bool
        var space: SequenceNumberSpace
        var initialSN: UInt64
        /// Producers wait when this many bytes are queued and not yet written.
        var highWatermark: Int = 4 << 20
        var maxMessageSize: Int = 64 << 20
        /// Queued bytes (this queue and the socket's write buffer) over which
        /// `onInFlightOverLimit` is called, once; nil: no cap (the uplink).
        var maxInFlightBytes: Int? = nil
        /// Datagram links have no flow control: a burst larger than the peer's
        /// socket buffer is lost. Bytes written per millisecond at most (nil: no pacing).
        var pacingBytesPerMillisecond: Int? = nil
        /// The shortest time between two flushes of partial batches (see `State.lastFlush`).
        var minFlushInterval: TimeAmount = .microseconds(200)

        /// Where a batch's messages start: after the stream link's length.
        var prefixLength: Int { framing.prefixLength }
    }

    enum EnqueueResult {
        case queued
        /// Queued, but the queue is over its high watermark: the caller should wait.
        case congested
        case closed
    }

    struct State {
        let settings: Settings
        let allocator: ByteBufferAllocator
        var batch: ByteBuffer
        var openFrame: Int? = nil
        var nextSN: [UInt64]
        var ready: CircularBuffer<ByteBuffer> = CircularBuffer(initialCapacity: 16)
        var readyBytes = 0
        var flushScheduled = false
        /// When the last flush ran: under load, flushes closer together than
        /// `minFlushInterval` are deferred so that a batch gathers many
        /// messages instead of leaving with a few.
        var lastFlush = NIODeadline.distantPast
        /// Messages queued since the last flush, and whether that flush carried
        /// more than one: "under load". One message per flush is light traffic
        /// (a request and its reply, a sensor every few ms), which leaves at once:
        /// holding it back until 200 µs after the previous flush added up to
        /// 200 µs to every message of a ping-pong without the express flag.
        var messagesSinceFlush = 0
        var underLoad = false
        var closed = false
        var sentSinceTick = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var channelWritable = true
        var pacingScheduled = false
        /// Bytes ever sealed into batches, and ever handed to the channel:
        /// a flush barrier compares the two without waiting for an idle link.
        var sealedTotal: UInt64 = 0
        var writtenTotal: UInt64 = 0
        /// A written batch's buffer, emptied, for the next batch: a message
        /// flushed on its own (light traffic) costs no allocation.
        var spareBatch: ByteBuffer?
        /// The queue's other half: `flushNow` swaps it with `ready` instead of
        /// copying `ready` out (which copied its storage on every flush).
        var spareReady: CircularBuffer<ByteBuffer>? = CircularBuffer(initialCapacity: 16)
        /// With `maxInFlightBytes`: what the socket's write buffer held after
        /// the last flush, and whether the cap was already reported.
        var channelBuffered = 0
        var inFlightReported = false

        /// Whether the bytes queued toward the peer just went over `maxInFlightBytes` (reported once).
        mutating func crossedInFlightCap() -> Int? {
            guard let cap = settings.maxInFlightBytes, !inFlightReported else { return nil }
            let queued = readyBytes + channelBuffered + max(batch.writerIndex - settings.prefixLength, 0)
            guard queued > cap else { return nil }
            inFlightReported = true
            return queued
        }
    }

    let settings: Settings
    let channel: Channel
    private let lock = NIOLock()
    private var state: State
    /// Called (on any thread) once the queue toward the peer went over
    /// `settings.maxInFlightBytes`, with the bytes queued. Set before the
    /// pipeline is used.
    var onInFlightOverLimit: (@Sendable (Int) -> Void)?

    init(channel: Channel, settings: Settings) {
        self.channel = channel
        self.settings = settings
        var batch = channel.allocator.buffer(capacity: settings.batchSize)
        batch.moveWriterIndex(forwardBy: settings.prefixLength)
        state = State(settings: settings, allocator: channel.allocator, batch: batch,
                      nextSN: Array(repeating: settings.initialSN, count: ChannelIndex.count))
    }

    private var emptyBatchLength: Int { settings.prefixLength }

    // MARK: - Producers (any thread)

    /// Queues a network message on the channel for `priority` and `reliability`.
    func send<M: WireEncodable>(_ message: M, priority: Priority, reliability: Reliability, express: Bool = false) -> EnqueueResult {
        let channelIndex = ChannelIndex(priority: settings.qos ? priority : .data, reliability: reliability).rawValue
        let (result, scheduleFlush, scheduleDrain, flushNotBefore, overLimit) = lock.withLock {
            let (result, scheduleFlush, scheduleDrain) = state.enqueue(message, channel: channelIndex, express: express)
            let notBefore: NIODeadline? = scheduleFlush && state.underLoad ? state.lastFlush + settings.minFlushInterval : nil
            return (result, scheduleFlush, scheduleDrain, notBefore, state.crossedInFlightCap())
        }
        if let overLimit { onInFlightOverLimit?(overLimit) }
        if express && channel.eventLoop.inEventLoop {
            // Sent from the link's own thread (a subscriber callback answering
            // at once): write now instead of queueing a task for later.
            flushNow()
        } else if scheduleDrain || express {
            channel.eventLoop.execute { self.flushNow() }
        } else if scheduleFlush {
            // Light traffic: flush on the next loop turn (one hop of latency).
            // Under load: wait the rest of the interval since the last flush
            // and let the batch fill.
            if let flushNotBefore, flushNotBefore > NIODeadline.now() {
                channel.eventLoop.scheduleTask(deadline: flushNotBefore) { self.flushNow() }
            } else {
                channel.eventLoop.execute { self.flushNow() }
            }
        }
        return result
    }

    /// Queues a transport message outside any frame (KeepAlive, Close).
    func sendTransport(_ message: TransportMessage, flush: Bool = true) {
        lock.withLock {
            guard !state.closed else { return }
            if !state.appendRaw({ (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) }) {
                state.sealBatch()
                _ = state.appendRaw({ (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) })
            }
            state.openFrame = nil
            state.sentSinceTick = true
            if flush { state.sealBatch() }
        }
        if channel.eventLoop.inEventLoop { flushNow() } else { channel.eventLoop.execute { self.flushNow() } }
    }

    /// Waits until the queue is below its watermark (congestion control Block).
    func waitForRoom() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if state.closed || (state.readyBytes <= settings.highWatermark && state.channelWritable) { return true }
                state.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    // MARK: - Event loop side

    /// Seals the open batch (if any) and writes every sealed batch, in order.
    func flushNow() {
        var paceLater = false
        var batches: CircularBuffer<ByteBuffer> = lock.withLock {
            state.flushScheduled = false
            state.lastFlush = NIODeadline.now()
            state.underLoad = state.messagesSinceFlush > 1
            state.messagesSinceFlush = 0
            if state.batch.writerIndex > emptyBatchLength { state.sealBatch() }
            guard let budget = settings.pacingBytesPerMillisecond else {
                // A flush nested in this one (a Close sent while writing) finds no spare and allocates.
                var out = state.spareReady.take() ?? CircularBuffer(initialCapacity: 16)
                swap(&out, &state.ready)
                state.writtenTotal &+= UInt64(state.readyBytes)
                state.readyBytes = 0
                return out
            }
            if state.pacingScheduled { return [] }
            var out = CircularBuffer<ByteBuffer>()
            var bytes = 0
            while let first = state.ready.first, out.isEmpty || bytes + first.readableBytes <= budget {
                bytes += first.readableBytes
                out.append(state.ready.removeFirst())
            }
            state.readyBytes -= bytes
            state.writtenTotal &+= UInt64(bytes)
            if !state.ready.isEmpty {
                state.pacingScheduled = true
                paceLater = true
            }
            return out
        }
        if paceLater {
            channel.eventLoop.scheduleTask(in: .milliseconds(1)) {
                self.lock.withLock { self.state.pacingScheduled = false }
                self.flushNow()
            }
        }
        guard !batches.isEmpty else { return }
        if batches.count == 1 {
            // The usual case under light traffic: one trip down the pipeline, not two.
            channel.writeAndFlush(batches[batches.startIndex], promise: nil)
        } else {
            for b in batches { channel.write(b, promise: nil) }
            channel.flush()
        }
        if settings.maxInFlightBytes != nil {
            // What the socket could not take yet (a peer that does not read) still counts as in flight.
            let buffered = (try? channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
            let overLimit = lock.withLock {
                state.channelBuffered = buffered
                return state.crossedInFlightCap()
            }
            if let overLimit { onInFlightOverLimit?(overLimit) }
        }
        // Once the socket took a batch, nobody else holds its buffer: empty, it carries the next one.
        var reusable: ByteBuffer? = nil
        while var b = batches.popLast() {
            if reusable == nil, b.capacity >= settings.batchSize, b.modifyIfUniquelyOwned({ $0.clear() }) != nil {
                reusable = b
            }
        }
        let waiters = lock.withLock {
            if state.spareBatch == nil, let reusable { state.spareBatch = reusable }
            if state.spareReady == nil { state.spareReady = batches }
            return state.takeWaitersIfRoom()
        }
        for w in waiters { w.resume() }
    }

    /// A mark for everything queued so far: seals the open batch (and schedules
    /// its flush), and returns the byte count `hasWritten(through:)` compares with.
    func flushMark() -> UInt64 {
        let mark = lock.withLock { () -> UInt64 in
            state.sealBatch()
            return state.sealedTotal
        }
        channel.eventLoop.execute { self.flushNow() }
        return mark
    }

    func hasWritten(through mark: UInt64) -> Bool {
        lock.withLock { state.writtenTotal >= mark }
    }

    /// Bytes sealed but not yet handed to the channel (paced datagrams, or a
    /// flush still to run).
    var pendingBytes: Int { lock.withLock { state.readyBytes + max(state.batch.writerIndex - emptyBatchLength, 0) } }

    func writabilityChanged(_ writable: Bool) {
        lock.withLock { state.channelWritable = writable }
        if writable { wakeWaitersIfRoom() }
    }

    /// Returns whether anything was sent since the last call (for keep-alives).
    func takeSentSinceTick() -> Bool {
        lock.withLock {
            let s = state.sentSinceTick
            state.sentSinceTick = false
            return s
        }
    }

    func close() {
        let waiters: [CheckedContinuation<Void, Never>] = lock.withLock {
            state.closed = true
            let w = state.waiters
            state.waiters = []
            return w
        }
        for w in waiters { w.resume() }
    }

    private func wakeWaitersIfRoom() {
        for w in lock.withLock({ state.takeWaitersIfRoom() }) { w.resume() }
    }

    /// Serialises a message of unknown size into a growing scratch array
    /// (only for messages larger than a batch).
    static func encodeLarge<M: WireEncodable>(_ message: M, limit: Int) -> [UInt8]? {
        var capacity = 1 << 17
        while capacity <= limit * 2 {
            if let b = try? [UInt8].encoding(capacity: capacity, { (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) }) {
                return b
            }
            capacity *= 4
        }
        return nil
    }
}

// Batch building, on the state itself (under the pipeline's lock): one
// exclusive access to `state` per call instead of a dynamically checked
// access for every field touched (those checks were ~10% of a publisher's time).
extension TxPipeline.State {

    /// Appends `message` to the open batch, opening a frame for its channel if
    /// needed. Returns false (and leaves the batch unchanged) when it does not fit.
    mutating func appendToBatch<M: WireEncodable>(_ message: M, channel channelIndex: Int) -> Bool {
        let needsFrame = openFrame != channelIndex
        let sn = nextSN[channelIndex]
        let settings = self.settings
        let ok = appendRaw { (w: inout WireWriter) throws(EncodeError) in
            if needsFrame {
                let ci = ChannelIndex(rawValue: channelIndex)
                try FrameHeader(reliability: ci.reliability, sn: sn,
                                priority: settings.qos && ci.priority != .data ? ci.priority : nil).encode(into: &w)
            }
            try message.encode(into: &w)
        }
        if ok && needsFrame {
            nextSN[channelIndex] = settings.space.next(sn)
            openFrame = channelIndex
        }
        return ok
    }

    /// Runs `body` on the free space of the open batch; commits what it wrote
    /// or, if it does not fit, nothing.
    mutating func appendRaw(_ body: (inout WireWriter) throws(EncodeError) -> Void) -> Bool {
        let room = settings.batchSize - batch.writerIndex
        guard room > 0 else { return false }
        let written: Int? = batch.withUnsafeMutableWritableBytes { buf -> Int? in
            var w = WireWriter(UnsafeMutableRawBufferPointer(rebasing: buf[0..<min(room, buf.count)]))
            do throws(EncodeError) {
                try body(&w)
                return w.count
            } catch {
                return nil
            }
        }
        guard let written else { return false }
        batch.moveWriterIndex(forwardBy: written)
        return true
    }

    mutating func sealBatch() {
        guard batch.writerIndex > settings.prefixLength else { return }
        // Swap the batch out before touching it: patching it while `state`
        // still holds it would copy the whole buffer.
        var fresh = spareBatch.take() ?? allocator.buffer(capacity: settings.batchSize)
        fresh.moveWriterIndex(forwardBy: settings.prefixLength)
        var b = batch
        batch = fresh
        if settings.framing == .stream {
            b.setInteger(UInt16(b.writerIndex - 2), at: 0, endianness: .little)
        }
        readyBytes += b.readableBytes
        sealedTotal &+= UInt64(b.readableBytes)
        ready.append(b)
        openFrame = nil
    }

    /// Cuts a message too large for one batch into fragments, each filling a batch.
    mutating func fragment<M: WireEncodable>(_ message: M, channel channelIndex: Int) -> Bool {
        guard let whole = TxPipeline.encodeLarge(message, limit: settings.maxMessageSize) else { return false }
        if batch.writerIndex > settings.prefixLength { sealBatch() }
        let ci = ChannelIndex(rawValue: channelIndex)
        let priority: Priority? = settings.qos && ci.priority != .data ? ci.priority : nil
        var offset = 0
        var first = true
        while offset < whole.count {
            let sn = nextSN[channelIndex]
            // Header size: encode an empty fragment, then fill the rest with payload.
            var header = Fragment(reliability: ci.reliability, more: true, sn: sn, priority: priority,
                                  first: first && settings.patch, drop: false, payload: [])
            let headerSize = (try? [UInt8].encoding(capacity: 64) { (w: inout WireWriter) throws(EncodeError) in
                try header.encode(into: &w)
            }.count) ?? 32
            let room = settings.batchSize - batch.writerIndex - headerSize
            let chunk = min(room, whole.count - offset)
            header.more = offset + chunk < whole.count
            header.payload = whole[offset..<(offset + chunk)]
            _ = appendRaw { (w: inout WireWriter) throws(EncodeError) in try header.encode(into: &w) }
            nextSN[channelIndex] = settings.space.next(sn)
            sealBatch()
            offset += chunk
            first = false
        }
        return true
    }

    /// The producers waiting for room, if there is room now (they are resumed outside the lock).
    mutating func takeWaitersIfRoom() -> [CheckedContinuation<Void, Never>] {
        guard readyBytes <= settings.highWatermark, channelWritable, !waiters.isEmpty else { return [] }
        defer { waiters = [] }
        return waiters
    }

    /// Queues one network message: the body of `TxPipeline.send`.
    mutating func enqueue<M: WireEncodable>(_ message: M, channel channelIndex: Int, express: Bool)
        -> (result: TxPipeline.EnqueueResult, scheduleFlush: Bool, scheduleDrain: Bool) {
        if closed { return (.closed, false, false) }
        var scheduleFlush = false
        var scheduleDrain = false
        let wasEmpty = batch.writerIndex == settings.prefixLength
        if !appendToBatch(message, channel: channelIndex) {
            if batch.writerIndex > settings.prefixLength {
                sealBatch()
                scheduleDrain = true
            }
            if !appendToBatch(message, channel: channelIndex) {
                guard fragment(message, channel: channelIndex) else { return (.closed, false, false) }
                sealBatch()
                scheduleDrain = true
            }
        }
        sentSinceTick = true
        messagesSinceFlush += 1
        if express {
            sealBatch()
            scheduleDrain = true
        } else if wasEmpty || scheduleDrain, !flushScheduled, batch.writerIndex > settings.prefixLength {
            flushScheduled = true
            scheduleFlush = true
        }
        let result: TxPipeline.EnqueueResult = readyBytes > settings.highWatermark || !channelWritable ? .congested : .queued
        return (result, scheduleFlush, scheduleDrain)
    }
}
