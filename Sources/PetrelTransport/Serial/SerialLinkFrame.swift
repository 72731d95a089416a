import NIOCore
import PetrelSerialPort

/// One good frame off a serial line, between `SerialFrameCodec` and
/// `SerialLinkHandshake`: the link flags (0 for data; `SerialFrame.initFlag`,
/// `.ackFlag`, `.resetFlag` for the link handshake) and the batch (empty for
/// handshake frames).
public struct SerialLinkFrame: Sendable, Equatable {
    public var flags: UInt8
    public var payload: ByteBuffer

    public init(flags: UInt8, payload: ByteBuffer) {
        self.flags = flags
        self.payload = payload
    }
}

/// User inbound events `SerialLinkHandshake` fires to the handlers after it.
public enum SerialLinkEvent: Sendable, Equatable {
    /// The serial link handshake is done (connector: Init|Ack received;
    /// listener: Init answered): Zenoh's own handshake (InitSyn) may start,
    /// batches may be written.
    case linkReady
}

/// Why a serial link could not be opened or used.
public enum SerialLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint is not a usable serial endpoint (wrong protocol, bad baud rate).
    case invalidEndpoint(endpoint: String, reason: String)
    /// The device could not be opened, configured or attached to the event loop;
    /// the port error names the device path and the operation.
    case cannotOpen(endpoint: String, SerialPortError)
    /// A batch longer than the serial MTU was written; nothing was sent.
    case batchTooLarge(size: Int, max: Int)
    /// A batch was written before the link handshake finished (wait for
    /// `SerialLinkEvent.linkReady`); nothing was sent.
    case notReady

    public var description: String {
        switch self {
        case .invalidEndpoint(let endpoint, let reason):
            return "invalid serial endpoint '\(endpoint)': \(reason)"
        case .cannotOpen(let endpoint, let error):
            return "cannot open serial link \(endpoint): \(error)"
        case .batchTooLarge(let size, let max):
            return "serial link: a batch of \(size) bytes exceeds the serial MTU of \(max) bytes"
        case .notReady:
            return "serial link: the link handshake has not finished; batches can be written after linkReady"
        }
    }
}
