#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// An OS thread of its own (pthread), for work that blocks: waiting in `poll`
/// on a serial port, libmosquitto's network loop, `fdatasync`. Done on Swift's
/// cooperative pool, that would take one of its few threads (one per core: two
/// on the smallest boards) away from every task for as long as it blocks.
///
/// Join it (`join()`) or let it run on its own (`detach()`); one dropped
/// without either is detached, so its resources go when it ends.
public final class SystemThread: Sendable {
    private let handle: pthread_t
    /// Set once joined or detached: each may happen only once per thread.
    private let released = Atomic<Bool>(false)

    private final class Body {
        let name: String?
        let run: @Sendable () -> Void
        init(name: String?, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new thread named `name` (Linux shows at most 15
    /// bytes in `top -H` and `ps -L`; longer names are cut).
    ///
    /// - Throws: `SystemCallError` ("pthread_create", EAGAIN...) when the OS
    ///   refuses a thread.
    public init(name: String? = nil, _ body: @escaping @Sendable () -> Void) throws(SystemCallError) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let body = Unmanaged<Body>.fromOpaque(raw).takeRetainedValue()
            if let name = body.name { nameThisThread(name) }
            body.run()
            return nil
        }, context)
        guard r == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemCallError(operation: "pthread_create", path: "", errno: r)
        }
        handle = thread
    }

    deinit {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { pthread_detach(handle) }
    }

    /// Starts `body` on a new detached thread (see `init`); false when the OS
    /// refuses a thread.
    @discardableResult
    public static func detached(name: String? = nil, _ body: @escaping @Sendable () -> Void) -> Bool {
        guard let thread = try? SystemThread(name: name, body) else { return false }
        thread.detach()
        return true
    }

    /// Waits until the thread has ended. Calls after the first (or after
    /// `detach()`) return at once; a thread must not join itself.
    public func join() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { pthread_join(handle, nil) }
    }

    /// Lets the thread end on its own; it can no longer be joined.
    public func detach() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { pthread_detach(handle) }
    }

    /// Whether the caller runs on this thread.
    public var isCurrent: Bool { pthread_equal(pthread_self(), handle) != 0 }
}

/// Names the calling thread, as `top -H` and `ps -L` show it (at most 15
/// bytes are kept). Glibc's `pthread_setname_np` is a GNU extension Swift's
/// Glibc module does not export, so it is looked up at run time; the name is
/// for people reading `top`, so its absence or failure is not reported.
private func nameThisThread(_ name: String) {
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
    let setName = unsafeBitCast(symbol, to: SetName.self)
    _ = setName(pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self))
}
