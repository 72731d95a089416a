import NIOCore
import PetrelSerialPort
import PetrelWire

/// Zenoh's serial link (z-serial / zenoh-pico, zenoh-wire.md §16) over a
/// serial port, as a NIO channel.
///
/// The pipeline is `SerialFrameCodec` (COBS, CRC-32, length) →
/// `SerialLinkHandshake` (Init / Init|Ack / Reset) → the handlers added by
/// `initializer` (the transport: it writes `ByteBuffer` batches without a
/// length prefix, at most `mtu` bytes, reads the same, and starts Zenoh's
/// handshake on `SerialLinkEvent.linkReady`).
public enum SerialLink {
    public typealias Role = SerialLinkHandshake.Role

    /// The baud rate when the endpoint gives none: Zenoh's (zenoh-link-serial) default.
    public static let defaultBaudrate = 9600
    /// The largest batch on a serial link (Zenoh's serial MTU).
    public static let mtu = SerialFraming.defaultMaxDataLength

    /// The port settings `endpoint` asks for: `#baudrate=N` (N > 0), 9600 when absent.
    ///
    /// - Throws: `SerialLinkError.invalidEndpoint` naming the endpoint, for a
    ///   non-serial endpoint or a baud rate that is not a positive number.
    public static func settings(for endpoint: Endpoint) throws(SerialLinkError) -> SerialPort.Settings {
        guard endpoint.proto == .serial else {
            throw .invalidEndpoint(endpoint: endpoint.description, reason: "not a serial endpoint (expected serial//dev/...)")
        }
        guard let text = endpoint.config["baudrate"] else { return SerialPort.Settings(baudrate: defaultBaudrate) }
        guard let baudrate = Int(text), baudrate > 0 else {
            throw .invalidEndpoint(endpoint: endpoint.description, reason: "baudrate '\(text)' is not a positive number")
        }
        return SerialPort.Settings(baudrate: baudrate)
    }

    /// Opens the device of `endpoint` (`serial//dev/ttyUSB0#baudrate=115200`)
    /// and returns its channel with the serial handlers in place, after
    /// `initializer` added the handlers that come after them (on the
    /// channel's event loop). The link handshake starts at once; wait for
    /// `SerialLinkEvent.linkReady` before writing batches.
    ///
    /// Closing the channel closes the port. A listener's channel closes
    /// itself when its peer restarts (it answers Reset): open it again to
    /// listen again.
    ///
    /// - Throws: `SerialLinkError.invalidEndpoint` (bad endpoint),
    ///   `.cannotOpen` naming the endpoint and the device path (missing,
    ///   permission, not a tty, baud rate refused), or the initializer's error.
    public static func openChannel(endpoint: Endpoint, role: Role, group: EventLoopGroup,
                                   statistics: SerialLinkStatistics = SerialLinkStatistics(),
                                   retryInterval: TimeAmount = SerialLinkHandshake.defaultRetryInterval,
                                   initializer: @escaping @Sendable (Channel) throws -> Void = { _ in }) async throws -> Channel {
        let settings = try Self.settings(for: endpoint)
        do {
            return try await SerialPortChannel.open(path: endpoint.address, settings: settings, group: group,
                                                    statistics: statistics) { channel in
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(SerialFrameCodec(maxDataLength: mtu, statistics: statistics))
                try pipeline.addHandler(SerialLinkHandshake(role: role, retryInterval: retryInterval, statistics: statistics))
                try initializer(channel)
            }
        } catch let error as SerialPortError {
            throw SerialLinkError.cannotOpen(endpoint: endpoint.description, error)
        }
    }
}
