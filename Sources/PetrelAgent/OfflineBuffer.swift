import Logging
import PetrelSession
import Synchronization
import PetrelStorage
import PetrelTime
import PetrelWire

/// The agent's uplink buffer: the durable offline log under the data
/// directory, seen through the `UplinkBuffer` interface.
final class OfflineBuffer: UplinkBuffer {
    let log: OfflineLog
    let logger: Logger
    private let droppedOldest = Atomic<UInt64>(0)
    private let writeFailures = Atomic<UInt64>(0)

    init(log: OfflineLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    /// Opens (and recovers) the log at `directory` with the `buffer` section's quotas and fsync policy.
    static func open(directory: String, config: BufferConfig, logger: Logger) throws(OfflineLogError) -> OfflineBuffer {
        let policy: FsyncPolicy = switch config.fsync {
        case .everyRecord: .everyRecord
        case .never: .never
        case .interval(let d): .every(milliseconds: max(1, Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)))
        }
        let log = try OfflineLog(directory: directory, policy: policy, maxBytes: config.maxBytes,
                                 maxAge: config.maxAge, whenFull: config.whenFull == .dropOldest ? .dropOldest : .dropNewest)
        return OfflineBuffer(log: log, logger: logger)
    }

    /// With fsync every-record an append returns once its record is durable.
    var keepWaitsForDisk: Bool { log.policy == .everyRecord }

    func keep(_ s: UplinkSample) -> Bool {
        let record = OfflineRecord(sequence: 0, key: s.key, payload: s.payload, encodingID: s.encoding.id,
                                   encodingSchema: s.encoding.schema, timestamp: s.timestamp, attachment: s.attachment,
                                   kind: s.kind == .put ? .put : .delete)
        let outcome: AppendOutcome
        do {
            outcome = try log.append(record)
        } catch {
            // A disk that is full or gone: the sample is refused (the uplink
            // counts it); say why.
            let n = writeFailures.add(1, ordering: .relaxed).newValue
            if LogThrottle.shouldLog(from: n - 1, to: n) {
                logger.error("offline buffer cannot write; samples refused", metadata: ["reason": "\(error)", "failures": "\(n)"])
            }
            return false
        }
        switch outcome {
        case .appended: return true
        case .appendedAfterDroppingOldest(_, let dropped):
            // Over quota with drop-oldest.
            let before = droppedOldest.add(UInt64(dropped), ordering: .relaxed).oldValue
            if LogThrottle.shouldLog(from: before, to: before + UInt64(dropped)) {
                logger.warning("offline buffer over quota: oldest samples dropped",
                               metadata: ["dropped": "\(before + UInt64(dropped))", "max_bytes": "\(log.maxBytes)"])
            }
            return true
        case .droppedNewest: return false
        }
    }

    func nextForReplay(max: Int) -> [(sequence: UInt64, sample: UplinkSample)] {
        guard let batch = try? log.readBatch(after: log.acknowledgedThrough, max: max) else { return [] }
        return OfflineRecord.sortedForReplay(batch).map { r in
            (r.sequence, UplinkSample(kind: r.kind == .put ? .put : .delete, key: r.key, payload: r.payload,
                                      encoding: Encoding(id: r.encodingID, schema: r.encodingSchema),
                                      timestamp: r.timestamp, attachment: r.attachment))
        }
    }

    func acknowledge(through sequence: UInt64) {
        try? log.acknowledge(through: sequence)
    }

    var waitingCount: Int { log.snapshot().pendingRecords }
}
