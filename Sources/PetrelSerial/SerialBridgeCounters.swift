import Synchronization

/// What a bridge has done so far, for the admin space, logs and tests.
public struct SerialBridgeSnapshot: Sendable, Equatable {
    public var port: String
    /// Whether the port is open now.
    public var isOpen: Bool
    /// How it was last opened (`libserialport` or `termios`); nil before the first open.
    public var backend: String?
    /// Complete non-empty lines read (whatever became of them).
    public var lines: Int
    /// Readings the session accepted.
    public var samples: Int
    public var bytesRead: Int
    /// Lines longer than the limit, dropped.
    public var overlongLines: Int
    /// Lines that were not UTF-8 (or held NUL bytes), dropped.
    public var invalidUTF8Lines: Int
    /// Lines (or parts of lines) the format did not understand.
    public var malformedLines: Int
    /// Names skipped because they are not one plain key chunk.
    public var invalidNames: Int
    /// Readings the session refused (no router connected), dropped.
    public var publishFailures: Int
    /// Samples from the tx key written to the device.
    public var txMessages: Int
    public var txBytes: Int
    /// Samples from the tx key dropped: port closed, or too much waiting.
    public var txDropped: Int
    /// Times the open port was lost (unplugged, hung up).
    public var losses: Int
    /// Times it came back after a loss.
    public var reconnects: Int
    /// Failed attempts to open it.
    public var openFailures: Int
    /// Readings parsed and waiting for the session.
    public var queued: Int
    /// The last open or I/O error, if any.
    public var lastError: String?

    /// Everything that went wrong with the data: lines and names dropped,
    /// readings and writes that could not be delivered.
    public var errors: Int {
        overlongLines + invalidUTF8Lines + malformedLines + invalidNames + publishFailures + txDropped
    }
}

/// The counters behind `SerialBridgeSnapshot`: written by the reader thread
/// and the publishing task, read by anyone.
final class SerialBridgeCounters: Sendable {
    let lines = Atomic<Int>(0)
    let samples = Atomic<Int>(0)
    let bytesRead = Atomic<Int>(0)
    let overlongLines = Atomic<Int>(0)
    let invalidUTF8Lines = Atomic<Int>(0)
    let malformedLines = Atomic<Int>(0)
    let invalidNames = Atomic<Int>(0)
    let publishFailures = Atomic<Int>(0)
    let txMessages = Atomic<Int>(0)
    let txBytes = Atomic<Int>(0)
    let txDropped = Atomic<Int>(0)
    let losses = Atomic<Int>(0)
    let reconnects = Atomic<Int>(0)
    let openFailures = Atomic<Int>(0)
    let queued = Atomic<Int>(0)
    /// The reader stopped reading because the queue is full.
    let throttled = Atomic<Bool>(false)
    private let status = Mutex<(isOpen: Bool, backend: String?, lastError: String?)>((false, nil, nil))

    func setOpen(_ open: Bool, backend: String? = nil) {
        status.withLock { s in
            s.isOpen = open
            if let backend { s.backend = backend }
        }
    }

    func setError(_ error: String) {
        status.withLock { $0.lastError = error }
    }

    func snapshot(port: String) -> SerialBridgeSnapshot {
        let s = status.withLock { $0 }
        return SerialBridgeSnapshot(
            port: port, isOpen: s.isOpen, backend: s.backend,
            lines: lines.load(ordering: .relaxed), samples: samples.load(ordering: .relaxed),
            bytesRead: bytesRead.load(ordering: .relaxed), overlongLines: overlongLines.load(ordering: .relaxed),
            invalidUTF8Lines: invalidUTF8Lines.load(ordering: .relaxed), malformedLines: malformedLines.load(ordering: .relaxed),
            invalidNames: invalidNames.load(ordering: .relaxed), publishFailures: publishFailures.load(ordering: .relaxed),
            txMessages: txMessages.load(ordering: .relaxed), txBytes: txBytes.load(ordering: .relaxed),
            txDropped: txDropped.load(ordering: .relaxed), losses: losses.load(ordering: .relaxed),
            reconnects: reconnects.load(ordering: .relaxed), openFailures: openFailures.load(ordering: .relaxed),
            queued: queued.load(ordering: .relaxed), lastError: s.lastError)
    }
}

extension Atomic where Value == Int {
    @inline(__always) func increment(by n: Int = 1) { add(n, ordering: .relaxed) }
}
