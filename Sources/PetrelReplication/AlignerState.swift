import PetrelAlignment
import PetrelKeyExpr
import PetrelTime

/// The state an aligner reports on `@-aligner/<zid>/state` and
/// `petrel replica --dump`: every key's latest timestamp, tombstones included,
/// sorted by key, as JSON:
/// `{"zid":"…","scope":"site/**","counters":{"clockRejected":0,…},"entries":[{"key":"site/a","timestamp":"<NTP64>/<zid>","tombstone":false},…]}`.
public enum AlignerState {
    public static func json(_ entries: [AlignmentEntry], zid: ZenohID, scope: KeyExpr, counters: [String: UInt64] = [:]) -> String {
        var out = "{\"zid\":\"\(zid)\",\"scope\":\(quoted(scope.string)),"
        if !counters.isEmpty {
            out += "\"counters\":{" + counters.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value)" }.joined(separator: ",") + "},"
        }
        out += "\"entries\":["
        for (i, e) in entries.enumerated() {
            if i > 0 { out += "," }
            out += "{\"key\":\(quoted(e.key)),\"timestamp\":\"\(e.timestamp.decimalString)\",\"tombstone\":\(e.isTombstone)}"
        }
        return out + "]}"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
