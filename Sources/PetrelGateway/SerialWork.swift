/// Runs async jobs one after another in the order they were enqueued: a
/// device's declarations and undeclarations reach the agent's session in the
/// order the device sent them, although the link's thread cannot wait for them.
final class SerialWork: Sendable {
    typealias Job = @Sendable () async -> Void
    private let continuation: AsyncStream<Job>.Continuation
    private let task: Task<Void, Never>

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        self.continuation = continuation
        self.task = Task {
            for await job in stream { await job() }
        }
    }

    func enqueue(_ job: @escaping Job) {
        continuation.yield(job)
    }

    /// Returns once every job queued before this call has run.
    func drain() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            enqueue { done.resume() }
        }
    }

    /// Runs what is queued, then stops.
    func finish() async {
        continuation.finish()
        await task.value
    }
}
