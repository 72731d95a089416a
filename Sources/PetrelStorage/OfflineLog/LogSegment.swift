import PetrelSystem
import PetrelTime

/// What the log keeps in memory about one segment file: enough to append, to
/// find a sequence without reading the whole file, and to apply the quotas.
///
/// A segment holds consecutive sequences `firstSequence ... lastSequence`
/// (recovery cuts at the first gap), so counts are differences.
struct LogSegment {
    /// Index granularity: one offset per this many records (8 bytes per 64
    /// records in memory; a lookup reads at most 63 records it does not need).
    static let indexStride: UInt64 = 64

    let firstSequence: UInt64
    let path: String
    /// Valid bytes (the file may be longer after a failed write; never read past this).
    var byteCount = 0
    /// `firstSequence - 1` while empty.
    var lastSequence: UInt64
    /// Records before this sequence were dropped for age (the leading run of
    /// records older than `maxAge`).
    var liveFrom: UInt64
    /// Byte offset of record `liveFrom` (== byteCount when there is none yet).
    var liveFromOffset = 0
    /// Timestamp time of record `liveFrom`; nil when the segment has no records from `liveFrom` on.
    var liveFromTime: NTP64?
    /// Offset of record `firstSequence + k * indexStride`, for every k that exists.
    var index: [Int] = []
    /// The open file: set for the segment being appended to, nil for the others
    /// (opened per read, so a long log does not hold hundreds of descriptors).
    var file: SystemFile?

    init(firstSequence: UInt64, path: String) {
        self.firstSequence = firstSequence
        self.path = path
        lastSequence = firstSequence &- 1
        liveFrom = firstSequence
    }

    var isEmpty: Bool { byteCount == 0 }

    /// Records that replay still has to send: not acknowledged and not dropped.
    func pendingCount(acknowledgedThrough ack: UInt64) -> Int {
        guard !isEmpty else { return 0 }
        let from = max(liveFrom, ack &+ 1, firstSequence)
        return from > lastSequence ? 0 : Int(lastSequence - from + 1)
    }

    /// The open file, or the file opened for reading.
    func openForReading() throws(OfflineLogError) -> SystemFile {
        if let file { return file }
        return try systemCall({ () throws(SystemCallError) in try SystemFile(readingAt: path) })
    }

    /// Notes a record written at `offset` (the current end).
    mutating func noteAppended(sequence: UInt64, count: Int, time: NTP64) {
        if (sequence - firstSequence) % Self.indexStride == 0 { index.append(byteCount) }
        if liveFromTime == nil {
            liveFrom = sequence
            liveFromOffset = byteCount
            liveFromTime = time
        }
        lastSequence = sequence
        byteCount += count
    }

    /// Where to start reading to reach `sequence`: the nearest known record at or
    /// before it, as (its sequence, its offset).
    func readStart(for sequence: UInt64) -> (sequence: UInt64, offset: Int) {
        if sequence >= liveFrom && liveFromTime != nil && sequence - liveFrom < Self.indexStride {
            return (liveFrom, liveFromOffset)
        }
        let k = Int(min((sequence &- firstSequence) / Self.indexStride, UInt64(max(index.count - 1, 0))))
        guard k < index.count else { return (firstSequence, 0) }
        return (firstSequence + UInt64(k) * Self.indexStride, index[k])
    }

    /// `seg-<first sequence, 16 lowercase hex digits>.log`: names sort like sequences.
    static func fileName(firstSequence: UInt64) -> String {
        let hex = String(firstSequence, radix: 16)
        return "seg-" + String(repeating: "0", count: 16 - hex.count) + hex + ".log"
    }

    /// The first sequence a segment file name announces; nil for other names.
    static func firstSequence(fileName name: String) -> UInt64? {
        guard name.hasPrefix("seg-"), name.hasSuffix(".log"), name.utf8.count == 24 else { return nil }
        let hex = name.dropFirst(4).dropLast(4)
        guard hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return UInt64(hex, radix: 16)
    }
}
