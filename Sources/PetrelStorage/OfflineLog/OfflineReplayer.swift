/// Why a replay stopped before the log was drained.
public enum ReplayError<SendError: Error>: Error {
    /// `send` failed (typically: the link dropped). Nothing of the failed batch
    /// was acknowledged; the next replay sends it again.
    case send(SendError)
    /// Reading the log or persisting the cursor failed.
    case log(OfflineLogError)
    /// The task running the replay was cancelled (between batches).
    case cancelled
}

/// Sends what the offline log holds upstream after a reconnect, in timestamp
/// order with the original timestamps, at a bounded rate, trimming the log as
/// batches are confirmed.
///
/// The order rule: the log is read in batches of `batchSize` records in append
/// order; each batch is sorted by timestamp (`OfflineRecord.sortedForReplay`)
/// and sent. Records stamped by one clock (the common case: the session's
/// hybrid logical clock) are appended in timestamp order, so for them replay
/// is in timestamp order overall; records from other clocks that were appended
/// out of order are put in order within their batch.
///
/// Trimming: a batch is acknowledged (and so trimmed) only after `send`
/// returned, which must mean it went out on a reliable channel. If the link
/// drops, `run` throws and the next `run` resumes after the last acknowledged
/// batch — also after a restart, since the cursor is on disk. A batch that was
/// partly sent when the link dropped is sent again in full: delivery is
/// at-least-once and receivers dedupe by (key, timestamp).
///
/// Rate: at most `recordsPerSecond` on average (sleeping between batches), so
/// live traffic sharing the link keeps flowing while the backlog drains.
public struct OfflineReplayer: Sendable {
    public let log: OfflineLog
    /// Records read, sorted and sent together (and the unit of resending).
    public var batchSize: Int
    /// Average replay rate; nil for as fast as `send` goes.
    public var recordsPerSecond: Int?

    public init(log: OfflineLog, batchSize: Int = 256, recordsPerSecond: Int? = 2_000) {
        self.log = log
        self.batchSize = max(batchSize, 1)
        self.recordsPerSecond = recordsPerSecond.map { max($0, 1) }
    }

    /// Replays until the log has nothing pending; returns how many records were
    /// sent and acknowledged.
    ///
    /// - Parameter send: delivers one batch upstream; returns once the batch was
    ///   handed to a reliable channel, throws if it could not be.
    /// - Throws: `ReplayError` saying why replay stopped early; what was
    ///   acknowledged until then stays acknowledged.
    public func run<E: Error>(
        send: (_ batch: [OfflineRecord]) async throws(E) -> Void
    ) async throws(ReplayError<E>) -> Int {
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while true {
            if Task.isCancelled { throw .cancelled }
            let batch: [OfflineRecord]
            do throws(OfflineLogError) {
                batch = try log.readBatch(after: log.acknowledgedThrough, max: batchSize)
            } catch {
                throw .log(error)
            }
            guard let last = batch.last?.sequence else { return sent }
            do throws(E) {
                try await send(OfflineRecord.sortedForReplay(batch))
            } catch {
                throw .send(error)
            }
            do throws(OfflineLogError) {
                try log.acknowledge(through: last)
            } catch {
                throw .log(error)
            }
            sent += batch.count
            if let rate = recordsPerSecond {
                let due = start + .nanoseconds(Int64(sent) * 1_000_000_000 / Int64(rate))
                if due > clock.now {
                    do { try await Task.sleep(until: due, clock: clock) } catch { throw .cancelled }
                }
            }
        }
    }
}
