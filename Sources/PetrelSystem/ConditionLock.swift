#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A mutex with a condition variable (pthread), guarding a value: what threads
/// need to *wait* for each other, which `Synchronization.Mutex` cannot do.
/// Used for group commit (appenders wait for a shared fsync), to sleep the
/// periodic flusher so that `close()` can wake it, and by `WorkerThreads`.
public final class ConditionLock<Value>: @unchecked Sendable {
    // @unchecked: the value is only touched with `mutex` held.
    //
    // The value lives behind a pointer, and bodies reach it through `Locked`,
    // never as an `inout` parameter: an inout value may be kept in registers
    // (or copied in and out) for the whole body, so a body that waits (and so
    // lets other threads change the value) would keep seeing the old one.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let storage = UnsafeMutablePointer<Value>.allocate(capacity: 1)

    public init(_ value: Value) {
        storage.initialize(to: value)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits measure on the monotonic clock: a stepped wall clock must
        // not stretch or cut the flusher's period.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        storage.deinitialize(count: 1)
        storage.deallocate()
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held; `body` may wait on the handle it gets.
    public func withLock<R, E: Error>(_ body: (Locked) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(Locked(storage: storage, mutex: mutex, condition: condition))
    }

    /// The guarded value and the condition, while the lock is held.
    public struct Locked {
        fileprivate let storage: UnsafeMutablePointer<Value>
        fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>
        fileprivate let condition: UnsafeMutablePointer<pthread_cond_t>

        /// The value, read from memory on every access (so fresh after a wait).
        public var value: Value {
            unsafeAddress { UnsafePointer(storage) }
            nonmutating unsafeMutableAddress { storage }
        }

        /// Releases the lock until a broadcast (or a spurious wake-up: callers
        /// re-check), then takes it again.
        public func wait() { pthread_cond_wait(condition, mutex) }

        /// Like `wait()`, but returns at the latest when the monotonic clock
        /// reaches `deadline` (nanoseconds).
        public func wait(untilMonotonicNanoseconds deadline: UInt64) {
            var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            _ = pthread_cond_timedwait(condition, mutex, &ts)
        }

        /// Wakes every waiter.
        public func broadcast() { pthread_cond_broadcast(condition) }

        /// Wakes one waiter (when any waiter will do, e.g. idle worker threads).
        public func signal() { pthread_cond_signal(condition) }
    }
}

/// Nanoseconds on the monotonic clock.
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
