import PetrelAlignment
import PetrelSystem
import PetrelKeyExpr
import PetrelTime

/// The state an aligner reports on `@-aligner/<zid>/state` and
/// `petrel replica --dump`: every key's latest timestamp, tombstones included,
/// sorted by key, as JSON:
/// `{"zid":"…","scope":"site/**","counters":{"clockRejected":0,…},"entries":[{"key":"site/a","timestamp":"<NTP64>/<zid>","tombstone":false},…]}`.
public enum AlignerState {
    public static func json(_ entries: [AlignmentEntry], zid: ZenohID, scope: KeyExpr, counters: [String: UInt64] = [:]) -> String {
        var w = JSONWriter()
        w.object { o in
            o.field("zid", zid.description)
            o.field("scope", scope.string)
            if !counters.isEmpty { o.field("counters", counters) }
            o.field("entries", entries.map(StateEntry.init))
        }
        return w.text
    }

    /// One entry as the state lists it.
    struct StateEntry: JSONWritable {
        let entry: AlignmentEntry
        func write(to w: inout JSONWriter) {
            w.object { o in
                o.field("key", entry.key)
                o.field("timestamp", entry.timestamp.decimalString)
                o.field("tombstone", entry.isTombstone)
            }
        }
    }
}
