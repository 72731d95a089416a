import PetrelSystem
import PetrelTime
import Synchronization

/// The durable offline buffer: while no upstream router is connected, samples
/// that would go upstream are appended here, and replayed (see
/// `OfflineReplayer`) once one is.
///
/// On disk, a directory of segment files `seg-<first sequence in hex>.log`, each
/// a run of checksummed records (RecordFrame.swift), plus a `cursor` file with
/// the last acknowledged sequence (CursorFile.swift).
///
/// Guarantees:
/// - Crash safety: opening recovers from any crash or power cut. Each segment
///   keeps its longest prefix of whole, valid, consecutive records; a torn or
///   corrupt record and everything after it *in that segment* is cut (the file
///   is truncated, `snapshot().cutBytes` counts the bytes). Later segments are
///   kept. A corrupt record in the middle thus costs the rest of its segment
///   (at most `segmentBytes`) but never the log, and never traps.
/// - Durability per `FsyncPolicy`; `.everyRecord` uses group commit.
/// - Quotas: bytes (sum of segment files, `maxBytes`) and age (`maxAge`), each
///   drop counted in `snapshot()`.
/// - Trimming only on acknowledgement: records leave the log when
///   `acknowledge(through:)` says they were sent on a reliable channel (or when
///   a quota drops them). The cursor is persisted before segments are deleted,
///   and replay starts after it, so a restart resumes where replay stopped.
///   Delivery is at-least-once: records sent but not yet acknowledged when the
///   link (or the process) dropped are sent again; receivers dedupe by
///   (key, timestamp), which replay keeps unchanged.
///
/// Thread-safe: all state is behind one `Mutex`; `append` holds it only to
/// write its record (one `pwrite`), and waits for durability outside it.
/// `append` blocks its thread for `.everyRecord` (an fsync, typically 1–10 ms):
/// call it from a thread of your own, not from many tasks of the cooperative pool
/// (async code: through `PetrelSystem.WorkerThreads`, as the agent's uplink does).
public final class OfflineLog: Sendable {
    /// The directory holding the segments, the cursor and the lock file.
    public let directory: String
    /// When appended records are forced to disk.
    public let policy: FsyncPolicy
    /// Quota for all segment files together, in bytes.
    public let maxBytes: Int
    /// Records with older timestamps are dropped.
    public let maxAge: Duration
    /// What `append` does when `maxBytes` is reached.
    public let whenFull: FullPolicy
    /// The segment size in use: as asked for, but at most a quarter of `maxBytes`
    /// (so that drop-oldest frees a quarter of the quota at most).
    public let segmentBytes: Int

    private let clock: @Sendable () -> NTP64
    private let maxAgeUnits: UInt64
    private let onDurable: (@Sendable (UInt64) -> Void)?
    private let state: Mutex<State>
    private let commit = GroupCommit()
    /// Serialises `acknowledge` (cursor file writes) without holding `state`
    /// during its fsyncs.
    private let acknowledging = Mutex(())
    private let flusher = Mutex<PeriodicFlusher?>(nil)

    private struct State: ~Copyable {
        /// Ascending by first sequence; the last one is being appended to. Never empty.
        var segments: [LogSegment]
        var nextSequence: UInt64
        var acknowledged: UInt64
        var bytes: Int
        var counters = OfflineLogSnapshot()
        var closed = false
        /// The `lock` file, locked while the log is open (released by `close` or deinit).
        var lock: SystemFile?
    }

    /// Opens the log in `directory` (created if missing), recovering from
    /// whatever a crash left: see the type's documentation.
    ///
    /// - Parameters:
    ///   - policy: when records are forced to disk.
    ///   - maxBytes: quota for all segment files together; when an append would
    ///     exceed it, `whenFull` decides. A single record may not exceed it.
    ///   - maxAge: records whose timestamp is older than this (by `clock`) are
    ///     dropped, at open, append and read (see `applyAge` for the rule).
    ///   - segmentBytes: a segment is closed for appends once the next record
    ///     would take it past this size. Smaller segments trim and drop in
    ///     smaller steps; a quarter of `maxBytes` at most is used.
    ///   - clock: the current time, for the age quota (injectable for tests).
    ///   - onDurable: told the new durable-through sequence after each group
    ///     commit or periodic sync (from the syncing thread, no lock held; keep
    ///     it short). The sync of a segment closed at rotation is not reported
    ///     here; `snapshot().durableThrough` includes it.
    /// - Throws: `.invalidConfiguration` for out-of-range options; `.inUse`
    ///   when another log has the directory open (a `lock` file in it is
    ///   `flock`ed while open); `.system` naming the path when the directory
    ///   cannot be created, read or written (not writable, disk full, ...).
    public init(
        directory: String,
        policy: FsyncPolicy,
        maxBytes: Int,
        maxAge: Duration,
        whenFull: FullPolicy = .dropOldest,
        segmentBytes: Int = 4 << 20,
        clock: @escaping @Sendable () -> NTP64 = { SystemClock().now() },
        onDurable: (@Sendable (_ durableThrough: UInt64) -> Void)? = nil
    ) throws(OfflineLogError) {
        guard !directory.isEmpty else { throw .invalidConfiguration("directory is empty") }
        guard maxBytes > 0 else { throw .invalidConfiguration("maxBytes must be positive, not \(maxBytes)") }
        guard segmentBytes > 0 else { throw .invalidConfiguration("segmentBytes must be positive, not \(segmentBytes)") }
        guard maxAge > .zero else { throw .invalidConfiguration("maxAge must be positive, not \(maxAge)") }
        if case .every(let ms) = policy, ms <= 0 {
            throw .invalidConfiguration("fsync period must be positive, not \(ms) ms")
        }
        self.directory = directory
        self.policy = policy
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.whenFull = whenFull
        self.segmentBytes = max(min(segmentBytes, maxBytes / 4), 1)
        self.clock = clock
        self.maxAgeUnits = NTP64(duration: maxAge).rawValue
        self.onDurable = onDurable

        var recovered = try Self.recover(directory: directory, policy: policy)
        let now = clock()
        try Self.applyAge(&recovered, now: now, maxAgeUnits: maxAgeUnits, policy: policy, directory: directory)
        if whenFull == .dropOldest {
            while recovered.bytes > maxBytes && recovered.segments.count > 1 {
                recovered.counters.droppedOldest += UInt64(try Self.deleteSegment(at: 0, &recovered))
            }
        }
        state = Mutex(recovered)
        if let last = state.withLock({ s in s.segments.last?.lastSequence }), policy != .never {
            // Recovery synced what it kept (and what it cut); all of it is durable.
            commit.markDurable(through: last)
        }

        if case .every(let ms) = policy {
            let f = PeriodicFlusher(period: .milliseconds(ms)) { [weak self] in
                guard let self else { return false }
                return self.periodicSync()
            }
            flusher.withLock { $0 = f }
        }
    }

    /// Stops the flusher and, unless closed or `.never`, makes a best-effort
    /// last sync (errors cannot be reported here: call `close()` to see them).
    deinit {
        flusher.withLock { $0?.stop() }
        if policy != .never {
            let file = state.withLock { s in s.closed ? nil : s.segments.last?.file }
            try? file?.sync()
        }
    }

    // MARK: Appending

    /// Appends `record` (its `sequence` is ignored: the log assigns the next one).
    ///
    /// Returns `.appended` (or `.appendedAfterDroppingOldest` when the byte quota
    /// made it delete old segments), or `.droppedNewest` when the log is full and
    /// its policy keeps the oldest data. Records older than `maxAge` are dropped
    /// first in any case (counted in `snapshot().droppedAge`, not in the outcome). With `.everyRecord` it returns once the record is
    /// durable (sharing the fsync with concurrent appenders).
    ///
    /// - Throws: `.recordTooLarge` for a record larger than the quota;
    ///   `.system` naming the file when writing fails (disk full: `isDiskFull`;
    ///   nothing of the record is kept then); `.closed` after `close()` or after
    ///   a failed fsync.
    public func append(_ record: OfflineRecord) throws(OfflineLogError) -> AppendOutcome {
        // Encode outside the lock; only the sequence and checksum are filled in under it.
        var frame = RecordFrame.encode(record, sequence: 0)
        let limit = min(maxBytes, RecordFrame.maximumBodyCount + RecordFrame.overhead)
        guard frame.count <= limit else { throw .recordTooLarge(bytes: frame.count, limit: limit) }
        let now = clock()
        let time = record.timestamp.time

        let outcome = try state.withLock { (s) throws(OfflineLogError) -> AppendOutcome in
            guard !s.closed, !commit.hasFailed else { throw .closed(path: directory) }
            try Self.applyAge(&s, now: now, maxAgeUnits: maxAgeUnits, policy: policy, directory: directory)
            if let active = s.segments.last, !active.isEmpty, active.byteCount + frame.count > segmentBytes {
                try rotate(&s)
            }
            var dropped = 0
            if s.bytes + frame.count > maxBytes {
                if whenFull == .dropNewest {
                    s.counters.droppedNewest += 1
                    return .droppedNewest
                }
                while s.bytes + frame.count > maxBytes {
                    if s.segments.count == 1 {
                        try rotate(&s)  // the one segment becomes deletable (or, if spent, is gone)
                        continue
                    }
                    dropped += try Self.deleteSegment(at: 0, &s)
                }
                s.counters.droppedOldest += UInt64(dropped)
            }

            let sequence = s.nextSequence
            Self.stamp(&frame, sequence: sequence)
            let last = s.segments.count - 1
            let offset = s.segments[last].byteCount
            guard let file = s.segments[last].file else { throw .closed(path: directory) }
            do throws(OfflineLogError) {
                try systemCall({ () throws(SystemCallError) in try file.write(frame, at: offset) })
            } catch {
                // Disk full part way: cut the partial record so that the file
                // ends on a whole record again (should the cut fail too, the next
                // write overwrites the remains, and recovery cuts what is left).
                try? file.truncate(to: offset)
                throw error
            }
            s.segments[last].noteAppended(sequence: sequence, count: frame.count, time: time)
            s.bytes += frame.count
            s.nextSequence += 1
            s.counters.appended += 1
            return dropped > 0 ? .appendedAfterDroppingOldest(sequence: sequence, dropped: dropped)
                               : .appended(sequence: sequence)
        }

        if policy == .everyRecord, let sequence = outcome.sequence {
            try commit.waitUntilDurable(sequence, sync: syncActiveSegment, onSynced: notifyDurable)
        }
        return outcome
    }

    /// Writes the sequence and checksum of a frame encoded with sequence 0.
    private static func stamp(_ frame: inout [UInt8], sequence: UInt64) {
        let crcOffset = frame.count - RecordFrame.trailerCount
        frame.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: 5, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<crcOffset]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: crcOffset, as: UInt32.self)
        }
    }

    /// Closes the segment being appended to and starts the next one. With a
    /// syncing policy the closed segment is synced first (so only the newest
    /// segment can ever hold unsynced records) and the new file's directory
    /// entry is made durable.
    private func rotate(_ s: inout State) throws(OfflineLogError) {
        let last = s.segments.count - 1
        if policy != .never, let file = s.segments[last].file {
            try systemCall({ () throws(SystemCallError) in try file.sync() })
            commit.markDurable(through: s.segments[last].lastSequence)
        }
        let first = s.nextSequence
        var segment = LogSegment(firstSequence: first, path: directory + "/" + LogSegment.fileName(firstSequence: first))
        let file = try systemCall({ () throws(SystemCallError) in try SystemFile(path: segment.path, create: true) })
        try systemCall({ () throws(SystemCallError) in try file.truncate(to: 0) })
        if policy != .never { try systemCall({ () throws(SystemCallError) in try Directory.sync(directory) }) }
        segment.file = file
        s.segments[last].file = nil
        s.segments.append(segment)
        try Self.deleteSpentSegments(&s)
    }

    // MARK: Durability

    /// Syncs the segment being appended to; returns the last sequence it covers.
    /// Earlier segments were synced when they were closed.
    private func syncActiveSegment() throws(OfflineLogError) -> UInt64 {
        let (file, through) = state.withLock { s in (s.segments.last?.file, s.nextSequence &- 1) }
        guard let file else { return through }
        let start = ContinuousClock.now
        try systemCall({ () throws(SystemCallError) in try file.sync() })
        let took = ContinuousClock.now - start
        state.withLock { s in
            s.counters.syncs += 1
            if took > s.counters.longestSync { s.counters.longestSync = took }
        }
        return through
    }

    private func notifyDurable(_ through: UInt64) { onDurable?(through) }

    /// One tick of the `.every(milliseconds:)` flusher; false stops it.
    private func periodicSync() -> Bool {
        let written = state.withLock { s in s.nextSequence &- 1 }
        if written <= commit.durableThrough { return true }
        do {
            if let durable = try commit.syncIfIdle(syncActiveSegment) { notifyDurable(durable) }
            return true
        } catch {
            return false
        }
    }

    /// Stops appends, makes everything appended durable (unless the policy is
    /// `.never`) and stops the background flusher. Later calls do nothing;
    /// `append` and `acknowledge` throw `.closed` afterwards.
    public func close() throws(OfflineLogError) {
        flusher.withLock { $0?.stop() }
        let written: UInt64? = state.withLock { s in
            if s.closed { return nil }
            s.closed = true
            return s.nextSequence &- 1
        }
        guard let written else { return }
        defer { state.withLock { s in s.lock = nil } }  // lets the directory be opened again
        guard policy != .never, written > 0 else { return }
        try commit.waitUntilDurable(written, sync: syncActiveSegment, onSynced: notifyDurable)
    }

    // MARK: Reading and acknowledging

    /// Up to `max` records with sequences after `cursor`, in append (sequence)
    /// order, skipping records that were dropped (the age quota is applied
    /// first, so replay never sends what aged meanwhile). Empty when there are none.
    /// Sort with `OfflineRecord.sortedForReplay` before sending.
    ///
    /// - Throws: `.corruptRecord` if a record valid at open no longer is (the
    ///   disk changed underneath), `.system` if reading fails.
    public func readBatch(after cursor: UInt64, max: Int) throws(OfflineLogError) -> [OfflineRecord] {
        struct Plan {
            var file: SystemFile
            var start: (sequence: UInt64, offset: Int)
            var from: UInt64
            var through: UInt64
            var end: Int
        }
        guard max > 0 else { return [] }
        let now = clock()
        let plans = try state.withLock { (s) throws(OfflineLogError) -> [Plan] in
            try Self.applyAge(&s, now: now, maxAgeUnits: maxAgeUnits, policy: policy, directory: directory)
            var plans: [Plan] = []
            var wanted = UInt64(max)
            let from = cursor &+ 1
            for segment in s.segments where !segment.isEmpty && segment.lastSequence >= from {
                let first = Swift.max(from, segment.liveFrom, segment.firstSequence)
                guard first <= segment.lastSequence else { continue }
                let count = Swift.min(wanted, segment.lastSequence - first + 1)
                let file = try segment.openForReading()
                plans.append(Plan(file: file, start: segment.readStart(for: first), from: first,
                                  through: first + count - 1, end: segment.byteCount))
                wanted -= count
                if wanted == 0 { break }
            }
            return plans
        }

        var records: [OfflineRecord] = []
        records.reserveCapacity(Swift.min(max, 4096))
        for plan in plans {
            var scanner = FrameScanner(file: plan.file, from: plan.start.offset, to: plan.end,
                                       expectedSequence: plan.start.sequence, bufferSize: 64 << 10)
            do throws(FrameScanner.Stop) {
                while let frame = try scanner.next() {
                    if frame.sequence < plan.from { continue }
                    do throws(RecordBodyError) {
                        records.append(try OfflineRecord.decodeBody(frame.body, sequence: frame.sequence))
                    } catch {
                        throw .invalid(offset: frame.offset, reason: "undecodable \(error.field)")
                    }
                    if frame.sequence >= plan.through { break }
                }
            } catch {
                switch error {
                case .invalid(let offset, let reason):
                    throw .corruptRecord(path: plan.file.path, offset: offset, reason: reason)
                case .io(let e): throw e
                }
            }
        }
        return records
    }

    /// Records that everything through `sequence` was sent upstream on a
    /// reliable channel: persists the cursor (atomically, synced unless the
    /// policy is `.never`) and then deletes the segments that hold only
    /// acknowledged records. A sequence beyond the last appended one counts as
    /// the last; an older one than already acknowledged does nothing.
    ///
    /// - Throws: `.system` naming the cursor file if it cannot be written (the
    ///   acknowledgement is then not recorded: replay sends those records again).
    public func acknowledge(through sequence: UInt64) throws(OfflineLogError) {
        try acknowledging.withLock { (_) throws(OfflineLogError) in
            let target = try state.withLock { (s) throws(OfflineLogError) -> UInt64? in
                guard !s.closed else { throw .closed(path: directory) }
                let target = Swift.min(sequence, s.nextSequence &- 1)
                return target > s.acknowledged ? target : nil
            }
            guard let target else { return }
            try CursorFile.write(target, directory: directory, sync: policy != .never)
            try state.withLock { (s) throws(OfflineLogError) in
                s.acknowledged = Swift.max(s.acknowledged, target)
                try Self.deleteSpentSegments(&s)
            }
        }
    }

    /// The last acknowledged sequence: replay continues after it.
    public var acknowledgedThrough: UInt64 { state.withLock { s in s.acknowledged } }

    /// Counters and state, for logs and `petrel info`.
    public func snapshot() -> OfflineLogSnapshot {
        let durable = policy == .never ? 0 : commit.durableThrough
        return state.withLock { s in
            var snap = s.counters
            snap.bytes = s.bytes
            snap.segments = s.segments.count
            snap.lastSequence = s.nextSequence &- 1
            snap.acknowledgedThrough = s.acknowledged
            snap.pendingRecords = s.segments.reduce(0) { $0 + $1.pendingCount(acknowledgedThrough: s.acknowledged) }
            snap.durableThrough = Swift.min(durable, snap.lastSequence)
            return snap
        }
    }

    // MARK: Quotas and trimming

    /// Deletes segment `i` (not the last); returns how many of its records were
    /// still pending (unacknowledged, not dropped before) and so are lost now.
    private static func deleteSegment(at i: Int, _ s: inout State) throws(OfflineLogError) -> Int {
        precondition(i < s.segments.count - 1, "the segment being appended to is never deleted")
        let segment = s.segments[i]
        try systemCall({ () throws(SystemCallError) in try Directory.remove(segment.path) })
        s.segments.remove(at: i)
        s.bytes -= segment.byteCount
        return segment.pendingCount(acknowledgedThrough: s.acknowledged)
    }

    /// Deletes the segments (but the last) that hold nothing left to send.
    private static func deleteSpentSegments(_ s: inout State) throws(OfflineLogError) {
        var i = 0
        while i < s.segments.count - 1 {
            if s.segments[i].pendingCount(acknowledgedThrough: s.acknowledged) == 0 {
                _ = try deleteSegment(at: i, &s)
            } else {
                i += 1
            }
        }
    }

    /// Drops the leading run of records older than `maxAge`: from the oldest
    /// record on, in sequence order, until the first record that is young
    /// enough. Records from one clock are in time order, so for them this drops
    /// exactly the records that are too old; where clocks interleave, an old
    /// record behind a younger one waits until that one ages out too (the age
    /// quota never drops a record early).
    ///
    /// Costs a comparison per append while nothing is too old; reads each
    /// dropped record once.
    private static func applyAge(
        _ s: inout State, now: NTP64, maxAgeUnits: UInt64, policy: FsyncPolicy, directory: String
    ) throws(OfflineLogError) {
        guard now.rawValue > maxAgeUnits else { return }
        let cutoff = now.rawValue - maxAgeUnits
        while let time = s.segments.first?.liveFromTime, time.rawValue < cutoff {
            var segment = s.segments[0]
            let file = try segment.openForReading()
            var scanner = FrameScanner(file: file, from: segment.liveFromOffset, to: segment.byteCount,
                                       expectedSequence: segment.liveFrom, bufferSize: 64 << 10)
            var dropped: UInt64 = 0
            var youngFound = false
            do throws(FrameScanner.Stop) {
                while let frame = try scanner.next() {
                    let t = OfflineRecord.peekTime(frame.body) ?? NTP64(rawValue: 0)
                    if t.rawValue >= cutoff {
                        segment.liveFrom = frame.sequence
                        segment.liveFromOffset = frame.offset
                        segment.liveFromTime = t
                        youngFound = true
                        break
                    }
                    if frame.sequence > s.acknowledged { dropped += 1 }
                }
            } catch {
                switch error {
                case .invalid(let offset, let reason):
                    throw .corruptRecord(path: segment.path, offset: offset, reason: reason)
                case .io(let e): throw e
                }
            }
            s.counters.droppedAge += dropped
            if !youngFound {
                segment.liveFrom = segment.lastSequence &+ 1
                segment.liveFromOffset = segment.byteCount
                segment.liveFromTime = nil
            }
            s.segments[0] = segment
            if youngFound { return }
            if s.segments.count > 1 {
                _ = try deleteSegment(at: 0, &s)
            } else {
                return
            }
        }
    }

    // MARK: Recovery

    /// Scans the directory: locks it, reads the cursor, validates every segment, cuts torn
    /// or corrupt tails, deletes what is spent, and opens (or creates) the
    /// segment to append to.
    private static func recover(directory: String, policy: FsyncPolicy) throws(OfflineLogError) -> State {
        try systemCall({ () throws(SystemCallError) in try Directory.create(directory) })
        let lock = try systemCall({ () throws(SystemCallError) in try SystemFile(path: directory + "/lock", create: true) })
        guard try systemCall({ () throws(SystemCallError) in try lock.tryLock() }) else { throw .inUse(path: directory) }
        try systemCall({ () throws(SystemCallError) in try Directory.remove(directory + "/" + CursorFile.temporaryName) })
        let acknowledged = CursorFile.read(directory: directory)
        let sync = policy != .never

        let names = try systemCall({ () throws(SystemCallError) in try Directory.entries(directory) })
            .compactMap { name in LogSegment.firstSequence(fileName: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }

        var segments: [LogSegment] = []
        var counters = OfflineLogSnapshot()
        for (first, name) in names {
            var segment = LogSegment(firstSequence: first, path: directory + "/" + name)
            let file = try systemCall({ () throws(SystemCallError) in try SystemFile(path: segment.path, create: false) })
            let size = try systemCall({ () throws(SystemCallError) in try file.size() })
            var scanner = FrameScanner(file: file, from: 0, to: size, expectedSequence: first)
            var cutAt: Int?
            do throws(FrameScanner.Stop) {
                while let frame = try scanner.next() {
                    guard let time = OfflineRecord.peekTime(frame.body) else {
                        throw .invalid(offset: frame.offset, reason: "body too short")
                    }
                    segment.noteAppended(sequence: frame.sequence, count: frame.count, time: time)
                }
            } catch {
                switch error {
                case .invalid(let offset, _): cutAt = offset
                case .io(let e): throw e
                }
            }
            if let cutAt {
                try systemCall({ () throws(SystemCallError) in try file.truncate(to: cutAt) })
                if sync { try systemCall({ () throws(SystemCallError) in try file.sync() }) }
                counters.cutBytes += size - cutAt
            }
            // A segment must start after the previous one ends; anything else is
            // not something this log wrote. Its records cannot be placed, so it
            // goes (counted as cut).
            if let previous = segments.last, first <= previous.lastSequence {
                try systemCall({ () throws(SystemCallError) in try Directory.remove(segment.path) })
                counters.cutBytes += segment.byteCount
                continue
            }
            counters.recoveredRecords += Int(segment.isEmpty ? 0 : segment.lastSequence - first + 1)
            segment.file = file
            segments.append(segment)
        }

        // Only the last segment stays open (for appending).
        for i in segments.indices.dropLast() { segments[i].file = nil }

        var nextSequence = acknowledged &+ 1
        if let last = segments.last {
            nextSequence = max(nextSequence, last.lastSequence &+ 1)
        }
        // Append to the last segment if it continues exactly where the log is;
        // otherwise (none, or an empty one named for an older sequence) start one.
        if let last = segments.last, last.lastSequence &+ 1 == nextSequence {
        } else {
            if let last = segments.last, last.isEmpty {
                try systemCall({ () throws(SystemCallError) in try Directory.remove(last.path) })
                segments.removeLast()
            }
            var segment = LogSegment(firstSequence: nextSequence,
                                     path: directory + "/" + LogSegment.fileName(firstSequence: nextSequence))
            let file = try systemCall({ () throws(SystemCallError) in try SystemFile(path: segment.path, create: true) })
            try systemCall({ () throws(SystemCallError) in try file.truncate(to: 0) })
            if sync { try systemCall({ () throws(SystemCallError) in try Directory.sync(directory) }) }
            segment.file = file
            segments.append(segment)
        }

        var state = State(segments: segments, nextSequence: nextSequence, acknowledged: acknowledged,
                          bytes: segments.reduce(0) { $0 + $1.byteCount }, counters: counters, lock: lock)
        try deleteSpentSegments(&state)
        return state
    }
}
