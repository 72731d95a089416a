#if canImport(Glibc)
import Glibc
#endif
import Logging
import PetrelHotStore
import PetrelKeyExpr
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
            let subscriber = try await session.declareSubscriber(c.key.string) { sample in
                store.store(StoredSample(sample, stampedBy: clock))
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
            running.append(Running(store: store, subscriber: subscriber, queryable: queryable, key: c.key.string))
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

    func stop() {
        evictor.cancel()
        for s in storages {
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

extension StoredSample {
    init(_ s: Sample, stampedBy clock: HybridLogicalClock) {
        self.init(key: s.key, kind: s.kind == .put ? .put : .delete, payload: Array(s.payload),
                  encoding: .init(id: s.encoding.id, schema: s.encoding.schema),
                  timestamp: s.timestamp ?? clock.newTimestamp(), attachment: s.attachment.map { Array($0) })
    }
}
