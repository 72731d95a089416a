/// A few threads of their own that run blocking calls for async code: the
/// offline log's appends, which wait for `fdatasync` (or for another
/// appender's group commit), and its reads and cursor writes.
///
/// Awaiting `run` suspends the task and frees its cooperative-pool thread;
/// the body blocks one of these threads instead, and the task resumes when it
/// is done. Several threads rather than one so that concurrent appends still
/// share an fsync (group commit needs concurrent waiters).
///
/// The threads end once the last reference to this object is gone and the
/// work queued before that has run.
public final class WorkerThreads: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var stopping = false
    }

    private final class Shared: Sendable {
        let queue = ConditionLock(Queue())

        /// The loop of each thread: take the oldest job, run it, repeat; end
        /// when stopping with nothing left.
        func work() {
            while true {
                let job = queue.withLock { locked -> (@Sendable () -> Void)? in
                    while locked.value.head == locked.value.jobs.count && !locked.value.stopping {
                        locked.wait()
                    }
                    guard locked.value.head < locked.value.jobs.count else { return nil }
                    let job = locked.value.jobs[locked.value.head]
                    locked.value.head += 1
                    // Drop run jobs (and what they captured) once half the array is done.
                    if locked.value.head == locked.value.jobs.count {
                        locked.value.jobs.removeAll(keepingCapacity: true)
                        locked.value.head = 0
                    } else if locked.value.head > 64 && locked.value.head * 2 > locked.value.jobs.count {
                        locked.value.jobs.removeFirst(locked.value.head)
                        locked.value.head = 0
                    }
                    return job
                }
                guard let job else { return }
                job()
            }
        }
    }

    private let shared = Shared()
    /// How many threads did start (the OS may refuse some).
    public let threadCount: Int

    /// Starts `count` threads named `name` (at most 15 bytes show).
    ///
    /// - Throws: `SystemCallError` when not even one thread could be started.
    public init(count: Int, name: String) throws(SystemCallError) {
        precondition(count > 0, "WorkerThreads needs at least one thread")
        var started = 0
        var failure: SystemCallError?
        for _ in 0..<count {
            do throws(SystemCallError) {
                let thread = try SystemThread(name: name) { [shared] in shared.work() }
                thread.detach()
                started += 1
            } catch {
                failure = error
            }
        }
        if started == 0, let failure { throw failure }
        threadCount = started
    }

    deinit {
        shared.queue.withLock { locked in
            locked.value.stopping = true
            locked.broadcast()
        }
    }

    /// Runs `body` on one of the threads and returns (or throws) what it did;
    /// the calling task waits suspended, holding no thread. Bodies start in the
    /// order given (each on whichever thread is free). Not cancellable: a
    /// blocking call cannot be interrupted, and a write half done must finish.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
            let job: @Sendable () -> Void = {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            shared.queue.withLock { locked in
                locked.value.jobs.append(job)
                locked.signal()
            }
        }
        return try result.get()
    }
}
