import PetrelSystem

/// The background thread of `FsyncPolicy.every(milliseconds:)`: calls `tick`
/// once per period until stopped or until `tick` returns false.
///
/// A thread of its own rather than a Task: `fdatasync` blocks for milliseconds,
/// which must not occupy one of the few threads of Swift's cooperative pool (two
/// on the boards Petrel runs on).
final class PeriodicFlusher: Sendable {
    private let stopped = ConditionLock(false)

    /// Starts the thread. `tick` runs on it; it must not keep the owner alive
    /// (capture it weakly and return false once it is gone).
    init(period: Duration, tick: @escaping @Sendable () -> Bool) {
        let (seconds, attoseconds) = period.components
        let periodNanoseconds = max(UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000), 1)
        let context = Context(stopped: stopped, periodNanoseconds: periodNanoseconds, tick: tick)
        // No thread: records are then synced only on segment rotation and
        // close; the snapshot's durableThrough shows it.
        SystemThread.detached(name: "petrel-flusher") { context.run() }
    }

    /// Stops the thread (it finishes a tick that is under way first); idempotent.
    func stop() {
        stopped.withLock { locked in
            locked.value = true
            locked.broadcast()
        }
    }

    private final class Context: Sendable {
        let stopped: ConditionLock<Bool>
        let periodNanoseconds: UInt64
        let tick: @Sendable () -> Bool

        init(stopped: ConditionLock<Bool>, periodNanoseconds: UInt64, tick: @escaping @Sendable () -> Bool) {
            self.stopped = stopped
            self.periodNanoseconds = periodNanoseconds
            self.tick = tick
        }

        func run() {
            var deadline = monotonicNanoseconds() &+ periodNanoseconds
            while true {
                let stop = stopped.withLock { locked -> Bool in
                    while !locked.value && monotonicNanoseconds() < deadline {
                        locked.wait(untilMonotonicNanoseconds: deadline)
                    }
                    return locked.value
                }
                if stop || !tick() { return }
                // Period measured from the start of a sync to the next: a slow sync
                // does not add to the window a power cut can lose.
                deadline = max(deadline &+ periodNanoseconds, monotonicNanoseconds())
            }
        }
    }
}
