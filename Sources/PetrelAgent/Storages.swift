#if canImport(Glibc)
import Glibc
#endif
import Logging
import PetrelHotStore
import PetrelAlignment
import PetrelKeyExpr
import PetrelReplication
import PetrelSession
import PetrelTime
import PetrelWire

/// The agent's hot-era storages, one per `storages` entry: each subscribes to
/// its key expression, keeps what arrives within its quotas (rebuilt from disk
/// at start), and answers Zenoh `get`s on its key expression, honouring the
/// `_time` selector parameter.
final class StorageGroup: Sendable {
    struct Running: Sendable {
        let store: HotStore
        let subscriber: Subscriber
        let queryable: Queryable
        let key: String
        /// Storages with `align`: alignment with the upstream replicas (hot window only).
        var aligner: Aligner? = nil
    }

    let storages: [Running]
    let evictor: Task<Void, Never>

    private init(storages: [Running], evictor: Task<Void, Never>) {
        self.storages = storages
        self.evictor = evictor
    }

    static func start(_ configs: [StorageConfig], dataDirectory: String?, session: Session, logger: Logger) async throws -> StorageGroup? {
        guard !configs.isEmpty else { return nil }
        var running: [Running] = []
        for (index, c) in configs.enumerated() {
            let mode: HotStore.Mode = c.mode == .keyValue ? .keyValue : .timeSeries
            let hot: Duration? = c.mode == .timeSeries ? c.hot : nil
            let store: HotStore
            if let dataDirectory {
                _ = mkdir("\(dataDirectory)/storages", 0o750)
                let dir = "\(dataDirectory)/storages/\(index)-\(Self.directoryName(c.key.string))"
                do {
                    store = try HotStore.open(directory: dir, keyExpr: c.key, mode: mode, hotWindow: hot,
                                              maxEntries: c.maxEntries, maxBytes: c.maxBytes)
                    let recovered = store.snapshot().entries
                    if recovered > 0 { logger.info("storage rebuilt from disk", metadata: ["key": "\(c.key)", "entries": "\(recovered)"]) }
                } catch {
                    logger.error("storage kept in memory only", metadata: ["key": "\(c.key)", "reason": "\(error)"])
                    store = HotStore(keyExpr: c.key, mode: mode, hotWindow: hot, maxEntries: c.maxEntries, maxBytes: c.maxBytes)
                }
            } else {
                store = HotStore(keyExpr: c.key, mode: mode, hotWindow: hot, maxEntries: c.maxEntries, maxBytes: c.maxBytes)
            }
            let clock = session.clock
            let aligned = c.align.map { Self.aligned(store, $0) }
            let subscriber = try await session.declareSubscriber(c.key.string) { sample in
                let s = StoredSample(sample, stampedBy: clock)
                if let aligned {
                    // Samples stamped here (a device's reading through the gateway) are not checked against our own clock.
                    if aligned.apply(s, checkClock: s.timestamp.id != clock.id) == .rejectedClock {
                        logger.warning("sample refused: its timestamp is ahead of this clock by more than the allowed drift",
                                       metadata: ["key": "\(s.key)", "aheadMs": "\(aligned.clockGuard.aheadMilliseconds(s.timestamp))",
                                                  "refused": "\(aligned.clockGuard.rejected)"])
                    }
                } else {
                    store.store(s)
                }
            }
            let queryable = try await session.declareQueryable(c.key.string) { query in
                guard let asked = try? KeyExpr(query.key) else { return }
                let results: [StoredSample]
                do {
                    results = try store.query(asked, parameters: query.parameters)
                } catch {
                    query.replyError(Array("bad _time: \(error)".utf8))
                    return
                }
                for r in results where r.kind == .put {
                    query.reply(r.key, r.payload, encoding: Encoding(id: r.encoding.id, schema: r.encoding.schema),
                                timestamp: r.timestamp, attachment: r.attachment)
                }
            }
            var r = Running(store: store, subscriber: subscriber, queryable: queryable, key: c.key.string)
            if let aligned, let align = c.align {
                let aligner = Aligner(session: session, store: aligned, role: .edge, interval: align.interval, logger: logger)
                try await aligner.start()
                r.aligner = aligner
            }
            running.append(r)
        }
        let stores = running.map(\.store)
        // What falls out of the hot window goes even when nothing new arrives.
        let evictor = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                for s in stores { s.evictExpired() }
            }
        }
        return StorageGroup(storages: running, evictor: evictor)
    }

    /// An aligned view of `store`: the hot window only (an edge never pulls cold
    /// history), clock sanity per `config`. `PETREL_TEST_CLOCK_OFFSET_MS` skews
    /// its clock (tests only).
    static func aligned(_ store: HotStore, _ config: AlignConfig) -> AlignedStore {
        let physical = OffsetClock.fromEnvironment(ProcessEnvironment.current())
        let now: @Sendable () -> NTP64 = { physical.now() }
        return AlignedStore(store: store, layout: .default, eras: [.current, .hot],
                            clockGuard: ClockGuard(maxDrift: config.maxClockDrift, now: now), now: now)
    }

    /// Alignment counters per aligned storage, for the admin space.
    var alignmentCounters: [String: [String: UInt64]]? {
        var out: [String: [String: UInt64]] = [:]
        for s in storages {
            guard let a = s.aligner else { continue }
            let m = a.countersForState
            out[s.key] = m
        }
        return out.isEmpty ? nil : out
    }

    func stop() {
        evictor.cancel()
        for s in storages {
            s.aligner?.stop()
            s.subscriber.undeclare()
            s.queryable.undeclare()
            s.store.close()
        }
    }

    /// Entries per storage key, for the admin space.
    var sizes: [String: UInt64] {
        var out: [String: UInt64] = [:]
        for s in storages { out[s.key] = UInt64(s.store.snapshot().entries) }
        return out
    }

    /// A directory name from a key expression: `/` and wildcards become `_`.
    static func directoryName(_ key: String) -> String {
        String(key.map { c -> Character in (c.isLetter || c.isNumber || c == "-" || c == ".") ? c : "_" })
    }
}


