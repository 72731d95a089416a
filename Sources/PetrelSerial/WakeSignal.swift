import CSerialPort

#if canImport(Glibc)
import Glibc
#endif

/// An eventfd another thread signals to wake a thread blocked in `poll`
/// (stop requested, data to write, room in the publish queue).
final class WakeSignal: Sendable {
    let fileDescriptor: Int32

    init?() {
        let fd = petrel_serial_eventfd()
        guard fd >= 0 else { return nil }
        fileDescriptor = fd
    }

    deinit { close(fileDescriptor) }

    func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(fileDescriptor, $0.baseAddress, 8) }
    }

    /// Clears pending signals.
    func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fileDescriptor, $0.baseAddress, 8) }
    }

    /// Waits until signalled or `milliseconds` pass; returns whether signalled.
    @discardableResult
    func wait(milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, milliseconds)
        if r > 0 { drain() }
        return r > 0
    }
}
