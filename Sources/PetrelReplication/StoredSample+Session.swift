import PetrelKeyExpr
import PetrelHotStore
import PetrelSession
import PetrelTime

extension StoredSample {
    /// A sample as received, stamped by `clock` when it came without a
    /// timestamp (a router without timestamping, a client that sent none).
    public init(_ s: Sample, stampedBy clock: HybridLogicalClock) {
        self.init(key: s.key, kind: s.kind == .put ? .put : .delete, payload: Array(s.payload),
                  encoding: .init(id: s.encoding.id, schema: s.encoding.schema),
                  timestamp: s.timestamp ?? clock.newTimestamp(), attachment: s.attachment.map { Array($0) })
    }
}

extension Query {
    /// Answers a storage query from `store`: the latest value of every
    /// matching key, tombstones left out, with original timestamps.
    public func answer(from store: HotStore) {
        guard let asked = try? KeyExpr(key) else { return }
        let results: [StoredSample]
        do {
            results = try store.query(asked, parameters: parameters)
        } catch {
            replyError(Array("bad _time: \(error)".utf8))
            return
        }
        for r in results where r.kind == .put {
            reply(r.key, r.payload, encoding: Encoding(id: r.encoding.id, schema: r.encoding.schema),
                  timestamp: r.timestamp, attachment: r.attachment)
        }
    }
}
