#if canImport(Glibc)
import Glibc
#endif

/// Why a serial port could not be opened, configured, read or written; names
/// the port and the operation, e.g.
/// `/dev/ttyUSB0: open: Permission denied (is the user in group dialout?)`.
public struct SerialPortError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The device is not there (unplugged, or a pty whose socat ended).
        case notFound
        /// The user may not open it.
        case permissionDenied
        /// The other end went away while the port was open (USB unplug, hang-up).
        case hangUp
        /// A setting the device or driver does not accept (an odd baud rate).
        case unsupported
        /// Anything else the OS or libserialport reported.
        case failed
    }

    public var port: String
    /// What was being done: `open`, `configure`, `read`, `write`, `look up`.
    public var operation: String
    public var kind: Kind
    /// The OS's or libserialport's words.
    public var message: String
    /// The errno behind it, when there is one.
    public var errno: Int32?

    public init(port: String, operation: String, kind: Kind, message: String, errno: Int32? = nil) {
        self.port = port
        self.operation = operation
        self.kind = kind
        self.message = message
        self.errno = errno
    }

    /// An error from the current `errno`.
    package static func posix(_ port: String, _ operation: String, errno code: Int32 = Glibc.errno) -> SerialPortError {
        SerialPortError(port: port, operation: operation, kind: kind(ofErrno: code), message: describe(errno: code), errno: code)
    }

    package static func kind(ofErrno code: Int32) -> Kind {
        switch code {
        case ENOENT, ENODEV, ENXIO: .notFound
        case EACCES, EPERM: .permissionDenied
        case EIO, EPIPE: .hangUp
        case EINVAL, ENOTTY, EOPNOTSUPP: .unsupported
        default: .failed
        }
    }

    package static func describe(errno code: Int32) -> String {
        guard let s = strerror(code) else { return "errno \(code)" }
        return String(cString: s)
    }

    public var description: String {
        var text = "\(port): \(operation): \(message)"
        if kind == .permissionDenied { text += " (is the user in group dialout?)" }
        return text
    }
}
