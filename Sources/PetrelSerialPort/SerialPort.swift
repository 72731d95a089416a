import CSerialPort

#if canImport(Glibc)
import Glibc
#endif

/// An open serial port: 8 data bits, no parity, 1 stop bit, no flow control,
/// at the configured baud rate. Owns its libserialport handle (or file
/// descriptor) and closes it in `deinit`, the one place it is closed.
///
/// Reads and writes never block: callers `poll` `fileDescriptor` (the
/// bridge's reader thread does) and then call `read(into:)` / `write(_:)`,
/// so one thread can watch the port, a wake-up descriptor and outgoing data
/// at once.
///
/// Opening goes through libserialport. libserialport 0.1.1 (Debian's) refuses
/// two kinds of tty that boards and tests do use: devices without a
/// `/sys/class/tty/NAME` entry (pseudo-terminals: socat pairs, `ble-serial`)
/// and devices without modem-control lines (its `sp_open` insists on
/// `TIOCMGET`, which ptys and USB gadget ports (`/dev/ttyGS0`) answer with
/// ENOTTY); upstream considers ptys out of scope (sigrokproject/libserialport
/// PR #4). For those, and only when libserialport fails, the port is opened
/// with plain termios instead, with the same settings; `backend` says which.
/// Not thread-safe: one thread uses a port at a time.
public final class SerialPort {
    /// Line settings. Only the speed varies; framing is always 8N1 without
    /// flow control, what sensors and USB adapters overwhelmingly use.
    public struct Settings: Sendable, Equatable {
        public var baudrate: Int

        public init(baudrate: Int = 115_200) {
            self.baudrate = baudrate
        }
    }

    /// How the port was opened.
    public enum Backend: String, Sendable, Equatable {
        /// Through libserialport: real UARTs and USB serial adapters.
        case libserialport
        /// Through termios, for ttys libserialport 0.1.1 does not open
        /// (pseudo-terminals, USB gadget ports).
        case termios
    }

    /// The path as configured (`/dev/ttyUSB0`, `/dev/serial/by-id/...`, a socat link).
    public let path: String
    public let settings: Settings
    public let backend: Backend
    /// Why libserialport did not open it, when `backend` is `.termios`.
    public let libserialportRefusal: String?
    /// The descriptor to `poll`; valid until the port is released.
    public let fileDescriptor: Int32
    private let handle: OpaquePointer?

    /// Opens and configures `path`.
    ///
    /// - Throws: `SerialPortError` naming the port: `.notFound` when nothing
    ///   is at `path` (unplugged), `.permissionDenied`, `.unsupported` for a
    ///   baud rate the driver refuses, `.failed` otherwise.
    public init(path: String, settings: Settings = Settings()) throws(SerialPortError) {
        self.path = path
        self.settings = settings
        // Fail fast and clearly on the common case (unplugged): both openers
        // would say less helpful things about a missing file.
        var st = stat()
        if stat(path, &st) != 0 {
            throw SerialPortError.posix(path, "open")
        }
        let refusal: SerialPortError
        do throws(SerialPortError) {
            let port = try Self.openWithLibserialport(path, settings)
            var fd: Int32 = -1
            _ = sp_get_port_handle(port, &fd)
            self.handle = port
            self.fileDescriptor = fd
            self.backend = .libserialport
            self.libserialportRefusal = nil
            return
        } catch {
            refusal = error
        }
        // Permission and presence problems are the same for termios; do not
        // hide them behind a second attempt's message.
        if refusal.kind == .permissionDenied || refusal.kind == .notFound { throw refusal }
        self.fileDescriptor = try Self.openWithTermios(path, settings)
        self.handle = nil
        self.backend = .termios
        self.libserialportRefusal = refusal.description
    }

    deinit {
        if let handle {
            sp_close(handle)
            sp_free_port(handle)
        } else {
            close(fileDescriptor)
        }
    }

    /// Reads what is waiting, up to `buffer.count` bytes. Returns 0 when
    /// nothing is (the descriptor is non-blocking; `poll` first).
    ///
    /// - Throws: `SerialPortError` with `.hangUp` when the device went away.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SerialPortError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if let handle {
            let r = sp_nonblocking_read(handle, base, buffer.count)
            if r.rawValue < 0 { throw Self.libserialportError(path, "read", r) }
            return Int(r.rawValue)
        }
        let n = Glibc.read(fileDescriptor, base, buffer.count)
        if n < 0 {
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return 0 }
            throw SerialPortError.posix(path, "read", errno: e)
        }
        return n
    }

    /// Writes as much of `bytes` as the driver takes now; returns how much
    /// (0 when its buffer is full: `poll` for POLLOUT and call again).
    ///
    /// - Throws: `SerialPortError` with `.hangUp` when the device went away.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SerialPortError) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        if let handle {
            let r = sp_nonblocking_write(handle, base, bytes.count)
            if r.rawValue < 0 { throw Self.libserialportError(path, "write", r) }
            return Int(r.rawValue)
        }
        let n = Glibc.write(fileDescriptor, base, bytes.count)
        if n < 0 {
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return 0 }
            throw SerialPortError.posix(path, "write", errno: e)
        }
        return n
    }

    /// Reads into the start of `buffer`; returns the byte count (0 when nothing waits).
    ///
    /// - Throws: as `read(into:)`.
    public func read(into buffer: inout [UInt8]) throws(SerialPortError) -> Int {
        let result = buffer.withUnsafeMutableBytes { raw -> Result<Int, SerialPortError> in
            do throws(SerialPortError) { return .success(try read(into: raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Writes as much of `bytes[offset...]` as the driver takes now; returns how much.
    ///
    /// - Throws: as `write(_:)`.
    public func write(_ bytes: [UInt8], from offset: Int) throws(SerialPortError) -> Int {
        guard offset < bytes.count else { return 0 }
        let result = bytes.withUnsafeBytes { raw -> Result<Int, SerialPortError> in
            do throws(SerialPortError) {
                return .success(try write(UnsafeRawBufferPointer(rebasing: raw[offset...])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes all of `bytes`, waiting for the driver as needed, at most
    /// `timeoutMilliseconds` in all. For tools and tests; the bridge writes
    /// from its poll loop instead.
    ///
    /// - Throws: `SerialPortError`; `.failed` with "timed out" when the device
    ///   does not take the bytes in time (flow stopped, baud rate far too low).
    public func writeAll(_ bytes: [UInt8], timeoutMilliseconds: Int32 = 5_000) throws(SerialPortError) {
        var offset = 0
        var remaining = timeoutMilliseconds
        while offset < bytes.count {
            let n = try write(bytes, from: offset)
            offset += n
            if offset == bytes.count { break }
            if n == 0 {
                if remaining <= 0 {
                    throw SerialPortError(port: path, operation: "write", kind: .failed, message: "timed out after \(timeoutMilliseconds) ms")
                }
                var p = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                let step = min(remaining, 50)
                _ = poll(&p, 1, step)
                remaining -= step
                if p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    throw SerialPortError(port: path, operation: "write", kind: .hangUp, message: "the device hung up")
                }
            }
        }
    }

    // MARK: libserialport

    /// libserialport looks a port up by its sysfs entry (`/dev/NAME` ↔
    /// `/sys/class/tty/NAME`), so a stable alias such as
    /// `/dev/serial/by-id/usb-FTDI_...` is tried again under the name it
    /// points to (`/dev/ttyUSB0`).
    private static func openWithLibserialport(_ path: String, _ settings: Settings) throws(SerialPortError) -> OpaquePointer {
        var port: OpaquePointer?
        var r = sp_get_port_by_name(path, &port)
        if r != SP_OK, let resolved = resolvedPath(path), resolved != path {
            r = sp_get_port_by_name(resolved, &port)
        }
        guard r == SP_OK, let port else {
            if r == SP_ERR_ARG {
                throw SerialPortError(port: path, operation: "look up", kind: .unsupported,
                                      message: "libserialport does not know it (no /sys/class/tty entry: a pseudo-terminal?)")
            }
            throw libserialportError(path, "look up", r)
        }
        r = sp_open(port, SP_MODE_READ_WRITE)
        if r != SP_OK {
            let error = libserialportError(path, "open", r)
            sp_free_port(port)
            throw error
        }
        do throws(SerialPortError) {
            try configure(port, path, settings)
        } catch {
            sp_close(port)
            sp_free_port(port)
            throw error
        }
        return port
    }

    private static func configure(_ port: OpaquePointer, _ path: String, _ settings: Settings) throws(SerialPortError) {
        var config: OpaquePointer?
        var r = sp_new_config(&config)
        guard r == SP_OK, let config else { throw libserialportError(path, "configure", r) }
        defer { sp_free_config(config) }
        // Fields left unset keep the port's current value; set all of 8N1 + no flow control.
        for (what, result) in [
            ("baud rate \(settings.baudrate)", sp_set_config_baudrate(config, Int32(clamping: settings.baudrate))),
            ("8 data bits", sp_set_config_bits(config, 8)),
            ("no parity", sp_set_config_parity(config, SP_PARITY_NONE)),
            ("1 stop bit", sp_set_config_stopbits(config, 1)),
            ("no flow control", sp_set_config_flowcontrol(config, SP_FLOWCONTROL_NONE)),
        ] where result != SP_OK {
            throw libserialportError(path, "configure \(what)", result)
        }
        r = sp_set_config(port, config)
        if r != SP_OK { throw libserialportError(path, "configure (baud rate \(settings.baudrate), 8N1, no flow control)", r) }
    }

    /// Turns a libserialport result into an error. Only `SP_ERR_FAIL` comes
    /// with an OS error (`sp_last_error_code`/`_message`); the other codes
    /// are libserialport's own.
    static func libserialportError(_ path: String, _ operation: String, _ r: sp_return) -> SerialPortError {
        switch r {
        case SP_ERR_FAIL:
            let code = sp_last_error_code()
            var message = SerialPortError.describe(errno: code)
            if let m = sp_last_error_message() {
                message = String(cString: m)
                sp_free_error_message(m)
            }
            return SerialPortError(port: path, operation: operation, kind: SerialPortError.kind(ofErrno: code),
                                   message: message, errno: code)
        case SP_ERR_ARG:
            return SerialPortError(port: path, operation: operation, kind: .unsupported, message: "libserialport: invalid argument")
        case SP_ERR_MEM:
            return SerialPortError(port: path, operation: operation, kind: .failed, message: "libserialport: out of memory")
        case SP_ERR_SUPP:
            return SerialPortError(port: path, operation: operation, kind: .unsupported, message: "libserialport: not supported by this device or driver")
        default:
            return SerialPortError(port: path, operation: operation, kind: .failed, message: "libserialport: error \(r.rawValue)")
        }
    }

    private static func resolvedPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    // MARK: termios

    private static func openWithTermios(_ path: String, _ settings: Settings) throws(SerialPortError) -> Int32 {
        guard let speed = termiosSpeed(settings.baudrate) else {
            throw SerialPortError(port: path, operation: "configure", kind: .unsupported,
                                  message: "baud rate \(settings.baudrate) is not a standard rate (termios has no constant for it)")
        }
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw SerialPortError.posix(path, "open") }
        var t = termios()
        guard isatty(fd) != 0, tcgetattr(fd, &t) == 0 else {
            let e = errno
            close(fd)
            throw SerialPortError(port: path, operation: "open", kind: .unsupported,
                                  message: "not a serial device (\(SerialPortError.describe(errno: e)))", errno: e)
        }
        cfmakeraw(&t)
        t.c_cflag &= ~(tcflag_t(CSIZE | PARENB | CSTOPB) | tcflag_t(CRTSCTS))
        t.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        t.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        // Non-blocking reads return what is there; poll decides when to read.
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&t, speed) == 0, cfsetospeed(&t, speed) == 0, tcsetattr(fd, TCSANOW, &t) == 0 else {
            let e = errno
            close(fd)
            throw SerialPortError.posix(path, "configure (baud rate \(settings.baudrate), 8N1, no flow control)", errno: e)
        }
        return fd
    }

    static func termiosSpeed(_ baudrate: Int) -> speed_t? {
        let table: [Int: Int32] = [
            50: B50, 75: B75, 110: B110, 134: B134, 150: B150, 200: B200, 300: B300, 600: B600,
            1200: B1200, 1800: B1800, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200,
            38400: B38400, 57600: B57600, 115_200: B115200, 230_400: B230400, 460_800: B460800,
            500_000: B500000, 576_000: B576000, 921_600: B921600, 1_000_000: B1000000,
            1_152_000: B1152000, 1_500_000: B1500000, 2_000_000: B2000000, 2_500_000: B2500000,
            3_000_000: B3000000, 3_500_000: B3500000, 4_000_000: B4000000,
        ]
        return table[baudrate].map { speed_t($0) }
    }
}
