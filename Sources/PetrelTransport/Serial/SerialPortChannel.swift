import NIOCore
import NIOPosix
import PetrelSerialPort
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A NIO `Channel` of raw bytes over a serial port: the port is opened and
/// configured by `SerialPort` (libserialport, or termios for ptys), then
/// NIO's pipe channel reads and writes duplicates of its descriptor.
///
/// NIO's `NIOPipeBootstrap` accepts character devices (it refuses only
/// regular files, directories, symlinks and block devices) and sets
/// O_NONBLOCK; the port is set to VMIN = 1 first, or an empty read would
/// return 0, which NIO takes for end of file (see `open`). The
/// channel's input and output are two close-on-exec `dup`s of the port's
/// descriptor, which NIO owns and closes; the port itself (its libserialport
/// handle or termios descriptor) is kept until the channel's `closeFuture`
/// and then released, which closes it, once. A device that goes away (USB
/// unplug, socat ending) makes reads fail or hit end of file, and NIO closes
/// the channel.
public enum SerialPortChannel {
    /// Opens `path` and returns an active channel of `ByteBuffer`s after
    /// `initializer` has added its handlers (on the channel's event loop).
    ///
    /// Bytes already waiting in the port's input queue (from before it was
    /// opened) are discarded: they belong to an earlier conversation.
    ///
    /// - Throws: `SerialPortError` naming `path` when the device is missing,
    ///   not permitted, not a tty or refuses the settings; the initializer's
    ///   error if it throws.
    public static func open(path: String, settings: SerialPort.Settings, group: EventLoopGroup,
                            statistics: SerialLinkStatistics? = nil,
                            initializer: @escaping @Sendable (Channel) throws -> Void = { _ in }) async throws -> Channel {
        let port = try SerialPort(path: path, settings: settings)
        let fd = port.fileDescriptor
        statistics?.setBackend(port.backend)
        let lease = PortLease(port)
        _ = tcflush(fd, TCIFLUSH)
        // VMIN = 1: with VMIN = VTIME = 0 (how SerialPort leaves a port, for
        // its poll loop) Linux's tty read returns 0, not EAGAIN, when nothing
        // is waiting, even with O_NONBLOCK, and NIO takes a 0 for end of file:
        // it reads again whenever a read filled its whole buffer, so the first
        // burst the size of that buffer would close the channel. With VMIN = 1
        // an empty non-blocking read is EAGAIN. Termios settings belong to the
        // tty, so this holds for NIO's duplicates too.
        do {
            var t = termios()
            guard tcgetattr(fd, &t) == 0 else { throw SerialPortError.posix(path, "configure (VMIN)") }
            withUnsafeMutableBytes(of: &t.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            guard tcsetattr(fd, TCSANOW, &t) == 0 else { throw SerialPortError.posix(path, "configure (VMIN)") }
        } catch {
            lease.release()
            throw error
        }
        let input = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        let output = input >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1
        guard input >= 0, output >= 0 else {
            let error = SerialPortError.posix(path, "duplicate the descriptor")
            if input >= 0 { close(input) }
            lease.release()
            throw error
        }
        // NIO owns the descriptors once the channel exists (it closes them
        // even if an initializer fails); before that they are still ours.
        let channelMade = Atomic<Bool>(false)
        do {
            let channel = try await NIOPipeBootstrap(group: group)
                .channelInitializer { channel in
                    channelMade.store(true, ordering: .relaxed)
                    return channel.eventLoop.makeCompletedFuture { try initializer(channel) }
                }
                .takingOwnershipOfDescriptors(input: input, output: output)
                .get()
            channel.closeFuture.whenComplete { _ in lease.release() }
            return channel
        } catch {
            if !channelMade.load(ordering: .relaxed) {
                close(input)
                close(output)
            }
            lease.release()
            if let error = error as? SerialPortError { throw error }
            if error is ChannelError || error is IOError {
                throw SerialPortError(port: path, operation: "attach to the event loop", kind: .unsupported, message: "\(error)")
            }
            throw error
        }
    }
}

/// Keeps a `SerialPort` open until `release()`; the port closes its handle
/// in `deinit`, so releasing the only reference closes it, once.
private final class PortLease: Sendable {
    private let port: Mutex<SerialPort?>

    init(_ port: sending SerialPort) {
        self.port = Mutex(port)
    }

    func release() {
        let released = port.withLock { p -> SerialPort? in
            defer { p = nil }
            return p
        }
        _ = released  // deinit (and close) here, outside the lock
    }
}
