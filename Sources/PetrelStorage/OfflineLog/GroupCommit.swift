import PetrelSystem
import Synchronization

/// Group commit: makes appended records durable with as few `fdatasync` calls
/// as possible when every append must wait for its own durability.
///
/// An appender that needs record `n` durable either finds it already durable,
/// or finds a sync under way and waits for it (and, if that sync started before
/// `n` was written, for the next one), or becomes the leader: it runs one sync
/// for everything written so far and wakes all waiters. So N concurrent
/// appenders cost about two syncs, not N: one under way when they arrive and
/// one that covers them all.
///
/// A failed sync fails every waiter and every later call: after a failed
/// fsync Linux may have dropped the dirty pages, so nothing written since the
/// last good sync can be trusted to be on disk (the log must be reopened).
final class GroupCommit: Sendable {
    private struct State {
        var durableThrough: UInt64 = 0
        var syncing = false
        var failure: OfflineLogError?
    }

    private let state = ConditionLock(State())
    /// Set once a sync failed: a cheap check for every append.
    private let failed = Atomic<Bool>(false)

    /// True once a sync failed (the log must be reopened).
    var hasFailed: Bool { failed.load(ordering: .acquiring) }

    /// Highest sequence known durable.
    var durableThrough: UInt64 { state.withLock { $0.value.durableThrough } }

    /// The failure that stopped durability, if any.
    var failure: OfflineLogError? { state.withLock { $0.value.failure } }

    /// Returns once `sequence` is durable. `sync` makes everything written so far
    /// durable and returns the highest sequence that covers; it runs on the
    /// calling thread when this caller leads. `onSynced` is told the new durable
    /// sequence after each sync this caller ran.
    func waitUntilDurable(
        _ sequence: UInt64,
        sync: () throws(OfflineLogError) -> UInt64,
        onSynced: (UInt64) -> Void
    ) throws(OfflineLogError) {
        while true {
            let lead: Bool = try state.withLock { (locked) throws(OfflineLogError) -> Bool in
                while true {
                    if locked.value.durableThrough >= sequence { return false }
                    if let failure = locked.value.failure { throw failure }
                    if !locked.value.syncing {
                        locked.value.syncing = true
                        return true
                    }
                    locked.wait()
                }
            }
            if !lead { return }
            let result: Result<UInt64, OfflineLogError>
            do throws(OfflineLogError) { result = .success(try sync()) } catch { result = .failure(error) }
            let durable = state.withLock { locked -> UInt64 in
                locked.value.syncing = false
                switch result {
                case .success(let through): locked.value.durableThrough = max(locked.value.durableThrough, through)
                case .failure(let error):
                    locked.value.failure = error
                    failed.store(true, ordering: .releasing)
                }
                locked.broadcast()
                return locked.value.durableThrough
            }
            if case .success = result { onSynced(durable) }
            // Loop: normally `sequence` is durable now; on failure the loop throws.
        }
    }

    /// Runs `sync` unless another sync is under way (then returns `nil`: that one
    /// covers what was written before it started, and the next period will cover
    /// the rest). Returns the new durable sequence. For the periodic flusher and
    /// for `close`.
    func syncIfIdle(_ sync: () throws(OfflineLogError) -> UInt64) throws(OfflineLogError) -> UInt64? {
        let lead = try state.withLock { (locked) throws(OfflineLogError) -> Bool in
            if let failure = locked.value.failure { throw failure }
            if locked.value.syncing { return false }
            locked.value.syncing = true
            return true
        }
        guard lead else { return nil }
        let result: Result<UInt64, OfflineLogError>
        do throws(OfflineLogError) { result = .success(try sync()) } catch { result = .failure(error) }
        return try state.withLock { (locked) throws(OfflineLogError) -> UInt64 in
            locked.value.syncing = false
            locked.broadcast()
            switch result {
            case .success(let through):
                locked.value.durableThrough = max(locked.value.durableThrough, through)
                return locked.value.durableThrough
            case .failure(let error):
                locked.value.failure = error
                failed.store(true, ordering: .releasing)
                throw error
            }
        }
    }

    /// Records that everything through `sequence` is durable (a segment was
    /// synced when it was closed for appends).
    func markDurable(through sequence: UInt64) {
        state.withLock { locked in
            if sequence > locked.value.durableThrough {
                locked.value.durableThrough = sequence
                locked.broadcast()
            }
        }
    }
}
