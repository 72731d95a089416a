import Logging
import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelSession
import PetrelTime
import PetrelTransport

/// What `petrel replica` runs with.
public struct ReplicaOptions: Sendable {
    /// The key expression it replicates, e.g. `site/**`.
    public var key: KeyExpr
    public var connect: [Endpoint]
    /// Where the store lives (a HotStore log, replayed at start); nil: memory only.
    public var directory: String?
    public var zid: ZenohID?
    public var digestInterval: Duration = .seconds(1)
    /// Remote timestamps further ahead than this are refused (Zenoh's HLC default: 500 ms).
    public var maxClockDrift: Duration = HybridLogicalClock.defaultMaxDelta
    public var layout: AlignmentLayout = .default
    /// Test knob: this process's clock runs this far ahead (negative: behind).
    public var clockOffsetMilliseconds: Int64 = 0

    public init(key: KeyExpr, connect: [Endpoint]) {
        self.key = key
        self.connect = connect
    }
}

/// An upstream storage replica beside a Zenoh router (as its client): stores
/// every sample under its key expression durably and for all eras (last
/// writer wins by HLC timestamp, deletes kept as tombstones for good, wildcard
/// deletes applied to every matching key), answers queries on its key
/// expression like a Zenoh storage, and aligns with the other replicas and the
/// edges (`Aligner`).
///
/// Tombstones are never expired: a replica may be partitioned or switched off
/// for any length of time and come back with an older put, and only a
/// tombstone still held by the others stops that put from being aligned back
/// (resurrected). A tombstone costs one small log record per deleted key; the
/// log's compaction keeps it and drops everything it superseded.
public final class Replica: Sendable {
    public let session: Session
    public let store: AlignedStore
    public let aligner: Aligner
    let subscriber: Subscriber
    let queryable: Queryable
    let logger: Logger

    private init(session: Session, store: AlignedStore, aligner: Aligner, subscriber: Subscriber, queryable: Queryable, logger: Logger) {
        self.session = session
        self.store = store
        self.aligner = aligner
        self.subscriber = subscriber
        self.queryable = queryable
        self.logger = logger
    }

    /// Opens the store (rebuilding it from disk), connects (retrying in the
    /// background while no router answers) and starts aligning.
    public static func start(_ options: ReplicaOptions, logger: Logger) async throws -> Replica {
        let physical = OffsetClock(offsetMilliseconds: options.clockOffsetMilliseconds)
        let now: @Sendable () -> NTP64 = { physical.now() }
        let hotStore: HotStore
        if let dir = options.directory {
            hotStore = try HotStore.open(directory: dir, keyExpr: options.key, mode: .keyValue, clock: now)
            let recovered = hotStore.snapshot()
            logger.info("replica store opened", metadata: ["dir": "\(dir)", "keys": "\(recovered.keys)",
                                                          "tombstones": "\(recovered.tombstones)"])
        } else {
            hotStore = HotStore(keyExpr: options.key, mode: .keyValue, clock: now)
        }
        let eras: Set<AlignmentEra> = [.current, .hot, .warm, .cold]
        let clockGuard = ClockGuard(maxDrift: options.maxClockDrift, now: now)
        let store = try options.directory.map {
            try AlignedStore(store: hotStore, layout: options.layout, eras: eras, clockGuard: clockGuard,
                             wildcardLogPath: $0 + "/wildcard-deletes", now: now)
        } ?? AlignedStore(store: hotStore, layout: options.layout, eras: eras, clockGuard: clockGuard, now: now)
        var config = SessionConfig(connect: options.connect, zid: options.zid ?? .random())
        config.queryTimeout = .seconds(5)
        let session = try await Session.open(config, waitForRouter: nil, logger: logger)
        // Samples that come without a timestamp are stamped by this replica's own (possibly skewed) clock.
        let stamper = HybridLogicalClock(id: session.zid, maxDelta: options.maxClockDrift, physicalClock: physical)
        let subscriber = try await session.declareSubscriber(options.key.string) { [logger] sample in
            let s = StoredSample(sample, stampedBy: stamper)
            if store.apply(s, checkClock: sample.timestamp != nil) == .rejectedClock {
                logger.warning("sample refused: its timestamp is ahead of this clock by more than the allowed drift",
                               metadata: ["key": "\(s.key)", "aheadMs": "\(store.clockGuard.aheadMilliseconds(s.timestamp))",
                                          "maxDriftMs": "\(options.maxClockDrift.components.seconds * 1000 + options.maxClockDrift.components.attoseconds / 1_000_000_000_000_000)",
                                          "refused": "\(store.clockGuard.rejected)"])
            }
        }
        let queryable = try await session.declareQueryable(options.key.string) { query in
            query.answer(from: hotStore)
        }
        let aligner = Aligner(session: session, store: store, role: .replica, interval: options.digestInterval, logger: logger)
        try await aligner.start()
        logger.info("replica started", metadata: ["zid": "\(session.zid)", "key": "\(options.key)",
                                                  "connect": "\(options.connect.map(\.description))"])
        return Replica(session: session, store: store, aligner: aligner, subscriber: subscriber, queryable: queryable, logger: logger)
    }

    public func stop() async {
        aligner.stop()
        subscriber.undeclare()
        queryable.undeclare()
        await session.close()
        store.store.close()
    }
}
