import PetrelKeyExpr

/// One `storages` entry: a store on the board for the samples under `key`,
/// answering queries on it. The board keeps a small hot era; cold history
/// lives upstream.
public struct StorageConfig: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// The latest value of each key.
        case keyValue = "key-value"
        /// Every sample, by timestamp, for the last `hot` of time.
        case timeSeries = "time-series"
    }

    /// `key`: what the storage stores (wildcards allowed), e.g. `farm/pi1/**`.
    public var key: KeyExpr
    public var mode: Mode = .keyValue
    /// `hot` (time-series only): how far back the board keeps samples.
    public var hot: Duration = .seconds(600)
    /// `max_entries`: nil for no limit by count.
    public var maxEntries: Int?
    /// `max_bytes`: beyond it the oldest samples are dropped first.
    public var maxBytes = 32_000_000

    /// `align` (key-value only): take part in anti-entropy alignment with the
    /// upstream replicas for the hot window (`true`, or an object with
    /// `interval` and `max_clock_drift`); nil: not aligned.
    public var align: AlignConfig?

    public init(key: KeyExpr) {
        self.key = key
    }

    static let keys = ["key", "mode", "hot", "max_entries", "max_bytes", "align"]

    init?(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) {
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        let key = o.require("key", hint: "the key expression to store, e.g. \"farm/pi1/**\"") { v.keyExpr($0, $1, wildcards: true) }
        let mode = o.read("mode") { v.choice($0, $1, Mode.allCases.map { ($0.rawValue, $0) }) }
        var hot: Duration?
        if (mode ?? .keyValue) == .timeSeries {
            hot = o.read("hot") { value, path -> Duration? in
                guard let d = v.duration(value, path) else { return nil }
                guard d > .zero else { v.report(path, "must be longer than 0", at: value.offset); return nil }
                return d
            }
        } else if mode != nil || o.has("hot") {
            o.reject("hot", "only applies to mode \"time-series\" (a key-value storage keeps the latest value of each key)")
        }
        let maxEntries = o.read("max_entries") { v.integer($0, $1, in: 1...Int.max) }
        let maxBytes = o.read("max_bytes") { v.size($0, $1, in: 1024...Int.max) }
        var align: AlignConfig?
        if (mode ?? .keyValue) == .keyValue {
            align = o.read("align") { AlignConfig.read($0, $1, v) }
        } else if o.has("align") {
            o.reject("align", "only applies to mode \"key-value\" (alignment compares the latest entry of each key)")
        }
        guard let key else { return nil }
        self.init(key: key)
        self.mode = mode ?? self.mode
        self.hot = hot ?? self.hot
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes ?? self.maxBytes
        self.align = align
    }
}

extension StorageConfig {
    /// One aligned storage per agent: its aligner answers on `@-aligner/<zid>/**`
    /// and publishes on `@-digest/<zid>`, keys named after the agent.
    static func checkOneAligned(_ list: [(ConfigValue, String)], _ v: ConfigValidator) {
        var first: String?
        for (value, path) in list {
            guard case .object(let members) = value.kind,
                  let align = members.first(where: { $0.key == "align" }) else { continue }
            if case .bool(false) = align.value.kind { continue }
            guard let earlier = first else {
                first = path
                continue
            }
            v.report(path + ".align", "only one storage per agent can be aligned (\(earlier) already is)", at: align.keyOffset)
        }
    }
}

/// A storage's `align` section: how it takes part in anti-entropy alignment.
public struct AlignConfig: Sendable, Equatable {
    /// `interval`: how often the storage publishes its digest.
    public var interval: Duration = .seconds(1)
    /// `max_clock_drift`: remote timestamps further ahead of this clock are refused (Zenoh's HLC default).
    public var maxClockDrift: Duration = .milliseconds(500)

    public init() {}

    static let keys = ["interval", "max_clock_drift"]

    /// `true` (defaults), `false` or an object; nil when off or invalid
    /// (what is invalid is reported, naming the field).
    static func read(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) -> AlignConfig? {
        if case .bool(let on) = value.kind { return on ? AlignConfig() : nil }
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        let interval = o.read("interval") { value, path -> Duration? in
            guard let d = v.duration(value, path) else { return nil }
            guard d >= .milliseconds(10) && d <= .seconds(3600) else {
                v.report(path, "must be from 10ms to 1h", at: value.offset)
                return nil
            }
            return d
        }
        let drift = o.read("max_clock_drift") { value, path -> Duration? in
            guard let d = v.duration(value, path) else { return nil }
            guard d >= .milliseconds(1) && d <= .seconds(3600) else {
                v.report(path, "must be from 1ms to 1h", at: value.offset)
                return nil
            }
            return d
        }
        var c = AlignConfig()
        c.interval = interval ?? c.interval
        c.maxClockDrift = drift ?? c.maxClockDrift
        return c
    }
}
