import PetrelKeyExpr
import PetrelTime

extension HotStore {
    /// The latest entry of `key`, tombstone included (key-value mode; nil in
    /// time-series mode or when the key holds nothing). Anti-entropy alignment
    /// needs tombstones, which `query` leaves out.
    public func latest(forKey key: String) -> StoredSample? {
        guard mode == .keyValue else { return nil }
        return state.withLock { s in
            guard let r = s.index[key], let e = s.records[Int(r)].latest else { return nil }
            return e.sample(key: key, payload: s.records[Int(r)].arena)
        }
    }

    /// Every key's latest entry, tombstones included, with payloads (key-value
    /// mode; empty in time-series mode): what an alignment index is rebuilt
    /// from when the store is opened.
    public func latestEntries() -> [StoredSample] {
        guard mode == .keyValue else { return [] }
        return state.withLock { s in
            var out: [StoredSample] = []
            out.reserveCapacity(s.keyCount)
            for rec in s.records where rec.isLive {
                if let e = rec.latest { out.append(e.sample(key: rec.key, payload: rec.arena)) }
            }
            return out
        }
    }
}
