import PetrelAlignment
import PetrelSystem
import PetrelTime

/// The read-only answers of the aligner queryable that walk an index from the top down, as
/// Zenoh's replication does and as the talk describes: the fingerprints of the eras, then of
/// the intervals of one era, then of the sub-intervals of one interval, then the entries of
/// one sub-interval. A person (`petrel get '@-aligner/<zid>/eras'`) or a naive aligner can
/// find where two sides differ this way; replicas themselves reconcile through `align`.
///
/// Every fingerprint is read from the index's kept sums (per interval and sub-interval),
/// never recomputed from entries. Replies are JSON; a fingerprint is its count and the
/// 64-bit sum of its entry IDs as 16 hex digits. Sub-interval bounds (`from`, `to`) are
/// sub-interval numbers, times (`start`, `end`) NTP64 values as decimal strings.
public enum AlignerBrowse {
    /// A parameter of the query that cannot be used: the reply is a Zenoh error naming it.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let parameter: String
        public let reason: String
        public var description: String { "parameter '\(parameter)': \(reason)" }
    }

    /// `era=hot;…` or `era=hot&…` (Zenoh separates selector parameters with `;`; `&` is accepted too).
    static func parameters(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(whereSeparator: { $0 == ";" || $0 == "&" }) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        return out
    }

    static func era(named name: String) -> AlignmentEra? {
        AlignmentEra.allCases.first { "\($0)" == name }
    }

    /// `{"settledEnd":N,"subIntervalMillis":…,"subIntervalsPerInterval":…,"eras":[{"era":"current","from":N,"to":null,
    /// "start":"…","end":null,"fingerprint":"…","count":n},…]}`, newest era first. The cold era's sum
    /// is the total's minus the others', as in the digest.
    public static func eras(_ index: AlignmentIndex, now: NTP64) -> String {
        let b = index.layout.eraBounds(now: now)
        var fps: [AlignmentEra: AlignmentFingerprint] = [:]
        for era in [AlignmentEra.current, .hot, .warm] {
            let r = b.range(of: era)
            fps[era] = index.fingerprint(of: AlignmentWindow(from: r.lowerBound, to: r.upperBound))
        }
        fps[.cold] = index.totalFingerprint - fps[.current]! - fps[.hot]! - fps[.warm]!
        let items = AlignmentEra.allCases.map { era in
            let r = b.range(of: era)
            return "{\"era\":\"\(era)\"," + bounds(r.lowerBound, r.upperBound, index.layout) + "," + fingerprint(fps[era]!) + "}"
        }
        return "{\"settledEnd\":\(b.settledEnd),\"subIntervalMillis\":\(index.layout.subIntervalMillis),"
            + "\"subIntervalsPerInterval\":\(index.layout.subIntervalsPerInterval),\"eras\":[" + items.joined(separator: ",") + "]}"
    }

    /// `intervals?era=<hot|warm|cold|current>`: each interval of the era that holds entries in it,
    /// `{"era":"hot","intervals":[{"interval":I,"from":…,"to":…,"start":…,"end":…,"partial":false,"fingerprint":…,"count":n},…]}`.
    /// An interval cut by an era boundary is `partial`: its bounds and fingerprint are those of
    /// its part inside the era (a sum of sub-interval fingerprints), so the counts add up to the era's.
    public static func intervals(_ index: AlignmentIndex, parameters text: String, now: NTP64) throws(Refusal) -> String {
        guard let name = parameters(text)["era"] else {
            throw Refusal(parameter: "era", reason: "missing (hot, warm, cold or current)")
        }
        guard let era = era(named: name) else {
            throw Refusal(parameter: "era", reason: "'\(name)' is not an era (hot, warm, cold or current)")
        }
        let r = index.layout.eraBounds(now: now).range(of: era)
        let window = AlignmentWindow(from: r.lowerBound, to: r.upperBound)
        let spi = UInt64(max(1, index.layout.subIntervalsPerInterval))
        var items: [String] = []
        for i in index.nonEmptyIntervals(in: window) {
            let start = i * spi  // i came from a sub-interval number: no overflow
            let whole = AlignmentWindow(from: start, to: start > UInt64.max - spi ? .max : start + spi)
            let part = AlignmentWindow(from: max(whole.from, window.from), to: min(whole.to, window.to))
            let partial = part != whole
            let fp = partial ? index.fingerprint(of: part) : index.fingerprint(ofInterval: i)
            guard fp.count > 0 else { continue }
            items.append("{\"interval\":\(i)," + bounds(part.from, part.to, index.layout) + ",\"partial\":\(partial),"
                         + fingerprint(fp) + "}")
        }
        return "{\"era\":\"\(era)\",\"intervals\":[" + items.joined(separator: ",") + "]}"
    }

    /// `subintervals?interval=<I>`: each sub-interval of interval I that holds entries,
    /// `{"interval":I,"fingerprint":…,"count":n,"subintervals":[{"subinterval":S,"from":S,"to":S+1,…},…]}`.
    public static func subIntervals(_ index: AlignmentIndex, parameters text: String) throws(Refusal) -> String {
        let i = try number("interval", in: text)
        let spi = UInt64(max(1, index.layout.subIntervalsPerInterval))
        let (from, overflow) = i.multipliedReportingOverflow(by: spi)
        guard !overflow, from <= UInt64.max - spi else {
            throw Refusal(parameter: "interval", reason: "\(i) is beyond the last interval")
        }
        let items = index.nonEmptySubIntervals(in: AlignmentWindow(from: from, to: from + spi)).map { s in
            "{\"subinterval\":\(s)," + bounds(s, s + 1, index.layout) + "," + fingerprint(index.fingerprint(ofSubInterval: s)) + "}"
        }
        return "{\"interval\":\(i)," + fingerprint(index.fingerprint(ofInterval: i)) + ",\"subintervals\":["
            + items.joined(separator: ",") + "]}"
    }

    /// `entries?subinterval=<S>`: the entries of sub-interval S sorted by key,
    /// `{"subinterval":S,"fingerprint":…,"count":n,"entries":[{"key":"…","timestamp":"<NTP64>/<zid>","tombstone":false},…]}`.
    public static func entries(_ index: AlignmentIndex, parameters text: String) throws(Refusal) -> String {
        let s = try number("subinterval", in: text)
        guard s < UInt64.max else { throw Refusal(parameter: "subinterval", reason: "\(s) is beyond the last sub-interval") }
        let entries = index.entries(inSubInterval: s).sorted { $0.key < $1.key }
        let items = entries.map { e in
            JSONWriter.write(AlignerState.StateEntry(entry: e))
        }
        return "{\"subinterval\":\(s)," + fingerprint(index.fingerprint(ofSubInterval: s)) + ",\"entries\":["
            + items.joined(separator: ",") + "]}"
    }

    /// Whether an `entries` query asks by sub-interval (else it carries a key list, as the initiator's do).
    public static func asksBySubInterval(_ parameters: String) -> Bool {
        Self.parameters(parameters)["subinterval"] != nil
    }

    private static func number(_ name: String, in text: String) throws(Refusal) -> UInt64 {
        guard let v = parameters(text)[name] else { throw Refusal(parameter: name, reason: "missing (a number)") }
        guard let n = UInt64(v) else { throw Refusal(parameter: name, reason: "'\(v)' is not a non-negative integer") }
        return n
    }

    private static func bounds(_ from: UInt64, _ to: UInt64, _ layout: AlignmentLayout) -> String {
        let open = to == .max
        return "\"from\":\(from),\"to\":\(open ? "null" : "\(to)"),\"start\":\"\(layout.startTime(ofSubInterval: from).decimalString)\","
            + "\"end\":" + (open ? "null" : "\"\(layout.startTime(ofSubInterval: to).decimalString)\"")
    }

    static func fingerprint(_ fp: AlignmentFingerprint) -> String {
        let hex = String(fp.sum, radix: 16)
        return "\"fingerprint\":\"\(String(repeating: "0", count: 16 - hex.count) + hex)\",\"count\":\(fp.count)"
    }
}
