import PetrelSerialPort
import PetrelWire
import Synchronization

/// What a serial link has received, dropped and sent, for logs and the admin space.
/// Line noise is expected on serial lines: drops are counted, never errors.
public struct SerialLinkCounters: Sendable, Equatable {
    /// Received frames, delivered and dropped by reason, as the link's
    /// `SerialDeframer` counts them.
    public var received = SerialDeframer.Counters()

    // Handshake.
    /// Data frames received before the link handshake finished (dropped).
    public var droppedBeforeReady = 0
    /// Handshake frames this role does not expect (a listener receiving Ack; dropped).
    public var unexpectedHandshakeFrames = 0
    /// Init frames sent (connector, first attempt and retries).
    public var initsSent = 0
    /// Init|Ack frames sent (listener).
    public var acksSent = 0
    /// Reset frames sent (listener, on an Init after the link was up).
    public var resetsSent = 0
    /// Reset frames received (connector).
    public var resetsReceived = 0

    // Sent.
    /// Frames written to the port (data and handshake).
    public var framesSent = 0
    /// Batches refused because they exceed the MTU.
    public var oversizeBatchesRefused = 0

    public init() {}

    /// Received frames dropped as corrupt (CRC, length, COBS, oversize, flags).
    public var rejected: Int { received.rejected }
}

/// The counters of one serial link, shared by its handlers and its owner (any thread).
public final class SerialLinkStatistics: Sendable {
    private let state = Mutex<(counters: SerialLinkCounters, backend: SerialPort.Backend?)>((SerialLinkCounters(), nil))

    public init() {}

    /// A snapshot of the counters.
    public var counters: SerialLinkCounters { state.withLock { $0.counters } }

    /// How the port was opened (libserialport, or the termios fallback for
    /// ptys and gadget ports); nil until it is open, or for a link built on
    /// another channel.
    public var backend: SerialPort.Backend? { state.withLock { $0.backend } }

    func update(_ body: (inout SerialLinkCounters) -> Void) {
        state.withLock { body(&$0.counters) }
    }

    func setBackend(_ backend: SerialPort.Backend) {
        state.withLock { $0.backend = backend }
    }
}
