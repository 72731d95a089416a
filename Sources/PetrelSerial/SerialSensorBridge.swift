import Logging
import PetrelKeyExpr
import PetrelSerialPort
import PetrelSession
import PetrelSystem
import PetrelTime
import PetrelWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Publishes what a serial device prints, line by line, as Zenoh samples, and
/// writes to the device what is put on its tx key.
///
/// One reader thread per port owns the port: it polls the device, a wake-up
/// descriptor and pending writes, cuts bytes into lines, parses them by the
/// format, stamps each line with the session's hybrid logical clock when its
/// terminator arrives, and queues the readings. A task hands them to the
/// session in order. When the device disappears (USB unplug; a pty whose
/// socat ended) the thread logs `serial port lost: <port>: <reason>`, retries
/// with back-off, and logs `serial port back: <port>` when it can open it
/// again; nothing else stops.
///
/// Garbage never becomes a key: lines that are too long, not UTF-8, or not
/// in the format are dropped and counted (`snapshot()`), and names that are
/// not one plain key chunk are skipped and counted.
public final class SerialSensorBridge: Sendable {
    public let settings: SerialBridgeSettings
    let session: Session
    /// Where readings go; `session.put` when nil. The agent passes its uplink,
    /// which buffers readings durably while no router is connected.
    let publish: (@Sendable (_ key: String, _ payload: [UInt8], _ options: PutOptions) async throws -> Void)?
    let logger: Logger
    let counters = SerialBridgeCounters()
    private let wake: WakeSignal
    private let control = Mutex<Control>(Control())
    private let threadDone = ThreadCompletion()
    private let queue: AsyncStream<[OutgoingReading]>
    private let queueInput: AsyncStream<[OutgoingReading]>.Continuation

    struct Control {
        var started = false
        var stopping = false
        var portOpen = false
        var tx: [UInt8] = []
        var subscriber: Subscriber?
        var publisher: Task<Void, Never>?
    }

    struct OutgoingReading: Sendable {
        var key: String
        var payload: [UInt8]
        var timestamp: Timestamp
    }

    public enum StartError: Error, CustomStringConvertible {
        case wildKey(String)
        /// The OS refused a thread or an eventfd (out of resources).
        case noResources(String, String)

        public var description: String {
            switch self {
            case .wildKey(let k): "serial bridge key '\(k)' holds a wildcard; readings need a concrete key"
            case .noResources(let port, let what): "\(port): could not create \(what)"
            }
        }
    }

    /// - Throws: `StartError` for a wildcard key, or when the process is out
    ///   of file descriptors (the reader's wake-up eventfd).
    public init(settings: SerialBridgeSettings, session: Session, logger: Logger,
                publish: (@Sendable (_ key: String, _ payload: [UInt8], _ options: PutOptions) async throws -> Void)? = nil) throws(StartError) {
        guard !settings.key.isWild else { throw .wildKey(settings.key.string) }
        guard let wake = WakeSignal() else {
            throw .noResources(settings.port, "an eventfd (\(SerialPortError.describe(errno: errno)))")
        }
        self.settings = settings
        self.session = session
        self.publish = publish
        var logger = logger
        logger[metadataKey: "serial"] = "\(settings.port)"
        self.logger = logger
        self.wake = wake
        (queue, queueInput) = AsyncStream.makeStream(of: [OutgoingReading].self)
    }

    /// The counters so far.
    public func snapshot() -> SerialBridgeSnapshot { counters.snapshot(port: settings.port) }

    /// Declares the tx subscriber and starts the reader thread. Returns at
    /// once: a port that is not there yet is retried in the background.
    ///
    /// - Throws: session errors from declaring the tx subscriber;
    ///   `StartError.noResources` when the OS refuses the reader thread.
    public func start() async throws {
        let first = control.withLock { c -> Bool in
            defer { c.started = true }
            return !c.started
        }
        guard first else { return }
        let subscriber = try await session.declareSubscriber(settings.txKey.string) { [weak self] sample in
            guard sample.kind == .put else { return }
            self?.enqueueForDevice(sample.payload)
        }
        let publisher = Task { [queue, session, counters, logger, wake, settings, publish] in
            var failing = false
            for await batch in queue {
                for reading in batch {
                    var options = PutOptions()
                    options.encoding = settings.format == .json ? .applicationJSON : .textPlain
                    options.timestamp = reading.timestamp
                    do {
                        if let publish {
                            try await publish(reading.key, reading.payload, options)
                        } else {
                            try await session.put(reading.key, reading.payload, options: options)
                        }
                        counters.samples.increment()
                        if failing {
                            failing = false
                            logger.info("serial readings flowing again")
                        }
                    } catch {
                        counters.publishFailures.increment()
                        if !failing {
                            failing = true
                            logger.warning("serial readings dropped until the session takes them again: \(error)")
                        }
                    }
                }
                let left = counters.queued.subtract(batch.count, ordering: .relaxed).newValue
                if left < settings.maxQueuedReadings / 2, counters.throttled.load(ordering: .relaxed) { wake.signal() }
            }
        }
        control.withLock {
            $0.subscriber = subscriber
            $0.publisher = publisher
        }
        // A thread of its own: serial I/O waits in `poll`, which on Swift's
        // cooperative pool would take one of its few threads (one per core)
        // away from the session for as long as the port is open.
        let started = SystemThread.detached(name: "serial \(settings.port.split(separator: "/").last ?? "")") { [self] in
            self.runReader()
            self.threadDone.finish()
        }
        if !started {
            threadDone.finish()
            await stop()
            throw StartError.noResources(settings.port, "a reader thread")
        }
    }

    /// Stops reading, closes the port, publishes what was already read, and
    /// undeclares the tx subscriber. Idempotent.
    public func stop() async {
        let (subscriber, publisher, wasStarted) = control.withLock { c in
            c.stopping = true
            let r = (c.subscriber, c.publisher, c.started)
            c.subscriber = nil
            c.publisher = nil
            return r
        }
        guard wasStarted else { return }
        wake.signal()
        await threadDone.wait()
        queueInput.finish()
        await publisher?.value
        subscriber?.undeclare()
    }

    private var isStopping: Bool { control.withLock { $0.stopping } }

    // MARK: Writing to the device

    /// Queues a tx payload (plus a newline if it has none) for the reader
    /// thread to write. Called on the session's thread: never blocks.
    private func enqueueForDevice(_ payload: ZBytes) {
        let accepted = control.withLock { c -> Bool in
            let size = payload.count + (payload.last == 0x0A ? 0 : 1)
            guard c.portOpen, !c.stopping, c.tx.count + size <= settings.maxPendingTxBytes else { return false }
            c.tx.append(contentsOf: payload)
            if payload.last != 0x0A { c.tx.append(0x0A) }
            return true
        }
        if accepted {
            counters.txMessages.increment()
            wake.signal()
        } else {
            counters.txDropped.increment()
            logger.debug("tx sample dropped (port closed or too much waiting)", metadata: ["bytes": "\(payload.count)"])
        }
    }

    private func takeTx() -> [UInt8] {
        control.withLock { c in
            let t = c.tx
            c.tx = []
            return t
        }
    }

    private func setPortOpen(_ open: Bool) {
        let dropped = control.withLock { c -> Bool in
            c.portOpen = open
            let had = !c.tx.isEmpty
            if !open { c.tx = [] }
            return had && !open
        }
        if dropped { counters.txDropped.increment() }
    }

    // MARK: The reader thread

    private func runReader() {
        var delay = settings.initialReconnectDelay
        var everOpened = false
        var outageReported = false
        var state = ReaderState(settings: settings)
        while !isStopping {
            let port: SerialPort
            do throws(SerialPortError) {
                port = try SerialPort(path: settings.port, settings: .init(baudrate: settings.baudrate))
            } catch {
                counters.openFailures.increment()
                counters.setError(error.description)
                if !outageReported {
                    outageReported = true
                    logger.warning("serial port unavailable: \(settings.port): \(error.reasonText); retrying")
                } else {
                    logger.debug("serial port still unavailable: \(error.description)")
                }
                wake.wait(milliseconds: Self.milliseconds(delay))
                delay = min(delay * 2, settings.maxReconnectDelay)
                continue
            }
            if everOpened {
                counters.reconnects.increment()
                logger.notice("serial port back: \(settings.port)")
            } else {
                logger.info("serial port open: \(settings.port)", metadata: [
                    "baudrate": "\(settings.baudrate)", "format": "\(settings.format.rawValue)",
                    "key": "\(settings.key)", "tx_key": "\(settings.txKey)", "backend": "\(port.backend.rawValue)",
                ])
                if let why = port.libserialportRefusal {
                    logger.info("serial port opened with termios: libserialport refused it: \(why)")
                }
            }
            everOpened = true
            outageReported = false
            counters.setOpen(true, backend: port.backend.rawValue)
            setPortOpen(true)
            state.framer.reset()
            let openedAt = ContinuousClock.now
            let lost = serve(port, &state)
            setPortOpen(false)
            counters.setOpen(false)
            guard let reason = lost else { break }
            counters.losses.increment()
            counters.setError("\(settings.port): \(reason)")
            logger.warning("serial port lost: \(settings.port): \(reason)")
            outageReported = true
            // A port that keeps failing right after opening (a flapping
            // cable) backs off like one that cannot be opened at all.
            if ContinuousClock.now - openedAt < .seconds(1) {
                wake.wait(milliseconds: Self.milliseconds(delay))
                delay = min(delay * 2, settings.maxReconnectDelay)
            } else {
                delay = settings.initialReconnectDelay
            }
        }
    }

    /// Per-thread reading state (survives reconnections, except the partial line).
    struct ReaderState {
        var framer: LineFramer
        var parser: LineParser
        var buffer: [UInt8]
        var problems = ProblemLog()

        init(settings: SerialBridgeSettings) {
            framer = LineFramer(maxLineLength: settings.maxLineLength)
            parser = LineParser(format: settings.format, columns: settings.columns, separator: settings.separator)
            buffer = [UInt8](repeating: 0, count: 16 * 1024)
        }
    }

    /// Serves an open port until it is lost (returns why) or the bridge
    /// stops (returns nil).
    private func serve(_ port: SerialPort, _ state: inout ReaderState) -> String? {
        var pendingTx: [UInt8] = []
        var txOffset = 0
        var emptyReads = 0
        while true {
            if isStopping { return nil }
            if txOffset == pendingTx.count {
                pendingTx = takeTx()
                txOffset = 0
            }
            let full = counters.queued.load(ordering: .relaxed) >= settings.maxQueuedReadings
            counters.throttled.store(full, ordering: .relaxed)
            var events: Int16 = 0
            if !full { events |= Int16(POLLIN) }
            if txOffset < pendingTx.count { events |= Int16(POLLOUT) }
            var fds = [pollfd(fd: port.fileDescriptor, events: events, revents: 0),
                       pollfd(fd: wake.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 2, full ? 20 : 1000)
            if r < 0 {
                if errno == EINTR { continue }
                return "poll: \(SerialPortError.describe(errno: errno))"
            }
            if fds[1].revents != 0 { wake.drain() }
            let revents = fds[0].revents
            if revents & Int16(POLLNVAL) != 0 { return "the descriptor was closed" }
            let hungUp = revents & Int16(POLLHUP | POLLERR) != 0
            if revents & Int16(POLLIN) != 0 || hungUp {
                do throws(SerialPortError) {
                    // After a hang-up, take what is still buffered, then give up.
                    var rounds = hungUp ? 64 : 1
                    while rounds > 0 {
                        rounds -= 1
                        let n = try port.read(into: &state.buffer)
                        if n == 0 { emptyReads += 1; break }
                        emptyReads = 0
                        counters.bytesRead.increment(by: n)
                        state.buffer.withUnsafeBytes { raw in
                            consume(UnsafeRawBufferPointer(rebasing: raw[..<n]), &state)
                        }
                    }
                } catch {
                    return error.reasonText
                }
                if hungUp { return "the device hung up" }
                // Readable yet nothing to read, again and again: end of file.
                if emptyReads >= 3 { return "end of file" }
            }
            if revents & Int16(POLLOUT) != 0 && txOffset < pendingTx.count {
                do throws(SerialPortError) {
                    let n = try port.write(pendingTx, from: txOffset)
                    txOffset += n
                    counters.txBytes.increment(by: n)
                } catch {
                    return error.reasonText
                }
            }
        }
    }

    /// Frames, parses, stamps and queues what was read.
    private func consume(_ bytes: UnsafeRawBufferPointer, _ state: inout ReaderState) {
        var batch: [OutgoingReading] = []
        let prefix = settings.key.string
        state.framer.feed(bytes) { event in
            switch event {
            case .overlong:
                counters.overlongLines.increment()
                state.problems.note(.overlong, logger, "dropped a line longer than \(settings.maxLineLength) bytes")
            case .line(let line):
                if line.isEmpty { return }
                counters.lines.increment()
                let parsed = state.parser.parse(bytes: line)
                if parsed.invalidUTF8 {
                    counters.invalidUTF8Lines.increment()
                    state.problems.note(.invalidUTF8, logger, "dropped a line that is not UTF-8 text (\(line.count) bytes)")
                    return
                }
                if let why = parsed.malformed {
                    counters.malformedLines.increment()
                    state.problems.note(.malformed, logger, "\(settings.format.rawValue) line not understood: \(why)")
                }
                if !parsed.invalidNames.isEmpty {
                    counters.invalidNames.increment(by: parsed.invalidNames.count)
                    state.problems.note(.invalidName, logger, "skipped names that are not one key chunk: \(parsed.invalidNames.prefix(3).map { "'\($0)'" }.joined(separator: ", "))")
                }
                guard !parsed.readings.isEmpty else { return }
                // The line's time: when its terminator arrived.
                let stamp = session.clock.newTimestamp()
                for reading in parsed.readings {
                    let key = reading.name.map { prefix + "/" + $0 } ?? prefix
                    batch.append(OutgoingReading(key: key, payload: Array(reading.value.utf8), timestamp: stamp))
                }
            }
        }
        guard !batch.isEmpty else { return }
        counters.queued.increment(by: batch.count)
        queueInput.yield(batch)
    }

    static func milliseconds(_ d: Duration) -> Int32 {
        let (s, atto) = d.components
        return Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000)
    }
}

/// Logs data problems without flooding: the first of each kind at once, then
/// at most one line per kind every 30 seconds, with the count since.
struct ProblemLog {
    enum Kind: Hashable { case overlong, invalidUTF8, malformed, invalidName }
    private var last: [Kind: ContinuousClock.Instant] = [:]
    private var suppressed: [Kind: Int] = [:]

    mutating func note(_ kind: Kind, _ logger: Logger, _ message: @autoclosure () -> String) {
        let now = ContinuousClock.now
        if let t = last[kind], now - t < .seconds(30) {
            suppressed[kind, default: 0] += 1
            return
        }
        let more = suppressed[kind, default: 0]
        logger.warning("\(message())\(more > 0 ? " (and \(more) more since the last report)" : "")")
        last[kind] = now
        suppressed[kind] = 0
    }
}

extension SerialPortError {
    /// The error without the port's name (log lines name it already).
    var reasonText: String { "\(operation): \(message)" }
}
