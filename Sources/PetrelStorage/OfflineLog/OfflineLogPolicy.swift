/// When the offline log forces appended records to the disk (`fdatasync`).
/// The choice trades appends per second against what a power cut can take:
/// - `everyRecord`: `append` returns only once its record is durable; a power
///   cut loses nothing that `append` returned for. Concurrent appenders share
///   fsyncs (group commit), so throughput grows with the number of appenders.
/// - `every(milliseconds:)`: a background thread syncs at that period; a power
///   cut loses at most the records appended in the last period (plus the time
///   the interrupted sync took).
/// - `never`: the kernel writes back when it likes (typically within 30 s);
///   survives a crash of the process, not of the machine.
///
/// All three survive a crash of the process alone (`kill -9`): every `append`
/// hands its record to the kernel before returning.
public enum FsyncPolicy: Equatable, Hashable, Sendable {
    case everyRecord
    case every(milliseconds: Int)
    case never
}

/// What `append` does when the byte quota is reached.
public enum FullPolicy: Equatable, Hashable, Sendable {
    /// Deletes the oldest segment(s) to make room: the log keeps the most recent
    /// data. Whole segments go at once, so a drop frees about `segmentBytes`.
    case dropOldest
    /// Refuses the new record: the log keeps the oldest data.
    case dropNewest
}

/// What `append` did with a record.
public enum AppendOutcome: Equatable, Hashable, Sendable {
    /// Stored under `sequence`.
    case appended(sequence: UInt64)
    /// Not stored: the log is full and its policy is `.dropNewest`.
    case droppedNewest
    /// Stored under `sequence` after deleting the oldest segment(s), which held
    /// `dropped` records that had not been acknowledged.
    case appendedAfterDroppingOldest(sequence: UInt64, dropped: Int)

    /// The sequence the record was stored under; `nil` if it was dropped.
    public var sequence: UInt64? {
        switch self {
        case .appended(let s), .appendedAfterDroppingOldest(let s, _): return s
        case .droppedNewest: return nil
        }
    }
}

/// The state and counters of an offline log, for logs and `petrel info`.
///
/// Counters (`appended`, `dropped*`, `syncs`) count since the log was opened;
/// the rest describe the log as it is.
public struct OfflineLogSnapshot: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Records stored by `append` since open.
    public var appended: UInt64 = 0
    /// Records deleted unacknowledged to make room (policy `.dropOldest`).
    public var droppedOldest: UInt64 = 0
    /// Records refused because the log was full (policy `.dropNewest`).
    public var droppedNewest: UInt64 = 0
    /// Records deleted unacknowledged because they were older than `maxAge`
    /// (including those found too old when the log was opened).
    public var droppedAge: UInt64 = 0
    /// Bytes of all segment files (what the byte quota limits).
    public var bytes: Int = 0
    /// Records stored and not yet acknowledged: what replay still has to send.
    public var pendingRecords: Int = 0
    /// Segment files, the one being appended to included.
    public var segments: Int = 0
    /// The sequence of the last record appended (0 when none ever was).
    public var lastSequence: UInt64 = 0
    /// Every record up to this sequence has been sent and acknowledged.
    public var acknowledgedThrough: UInt64 = 0
    /// Every record up to this sequence is known to be on disk (0 with `.never`).
    public var durableThrough: UInt64 = 0
    /// `fdatasync` calls made for appended records since open: with
    /// `.everyRecord` and concurrent appenders this is below `appended`
    /// (group commit).
    public var syncs: UInt64 = 0
    /// The longest such `fdatasync` since open.
    public var longestSync: Duration = .zero
    /// Whole records found in the segments when the log was opened.
    public var recoveredRecords: Int = 0
    /// Bytes cut from segment ends at open: torn writes from a crash or power
    /// cut, or corrupt records and everything after them in their segment.
    public var cutBytes: Int = 0

    public init() {}

    /// One line, e.g. `offline log: 120 pending (15.4 KB in 1 segment), dropped
    /// 0 oldest, 3 newest, 0 by age; cut 17 bytes at open`.
    public var description: String {
        var s = "offline log: \(pendingRecords) pending (\(bytes) bytes in \(segments) segment\(segments == 1 ? "" : "s")), "
        s += "dropped \(droppedOldest) oldest, \(droppedNewest) newest, \(droppedAge) by age"
        if cutBytes > 0 { s += "; cut \(cutBytes) bytes at open" }
        return s
    }
}
