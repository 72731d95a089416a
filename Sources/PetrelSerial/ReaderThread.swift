import CSerialPort
import PetrelSerialPort
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread. Serial I/O waits in `poll`; doing that on Swift's
/// cooperative pool would take one of its few threads (one per core: four on
/// a Pi 4, so two ports could halve it) away from the session for as long as
/// a port is open.
enum ReaderThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new detached thread named `name` (at most 15 bytes
    /// show in `top`/`ps -L`). Returns false when the OS refuses a thread.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let threadName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let context = Unmanaged.passRetained(Body {
            petrel_serial_name_this_thread(threadName)
            body()
        }).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context)
        guard r == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

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

/// Lets async code wait for a thread to finish.
final class ThreadCompletion: Sendable {
    private let state = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func finish() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.done = true
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.resume() }
    }

    var isFinished: Bool { state.withLock { $0.done } }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
