/// The `buffer` section: the durable offline log that holds samples while the
/// uplink is down and replays them, in timestamp order, once it is back.
public struct BufferConfig: Sendable, Equatable {
    /// When the log is flushed to the storage medium.
    public enum Fsync: Sendable, Equatable {
        /// `"every-record"`: nothing acknowledged is lost even on power loss;
        /// costs an fsync per sample (slow, and wears SD cards).
        case everyRecord
        /// `"every-<duration>"`, e.g. `"every-100ms"`: at most that much is
        /// lost on power loss (a crashed process loses nothing: the kernel has it).
        case interval(Duration)
        /// `"never"`: the kernel decides.
        case never
    }

    public enum WhenFull: String, Sendable, Equatable, CaseIterable {
        /// Keep the newest data: the oldest records make room.
        case dropOldest = "drop-oldest"
        /// Keep the oldest data: new samples are refused while full.
        case dropNewest = "drop-newest"
    }

    /// `dir`: nil means the agent's data directory (`DataDirectory.defaultPath()`).
    public var dir: String?
    public var maxBytes = 256_000_000
    /// `max_age`: older records are dropped even if there is room.
    public var maxAge: Duration = .seconds(7 * 86400)
    public var fsync: Fsync = .interval(.milliseconds(100))
    public var whenFull: WhenFull = .dropOldest

    public init() {}

    static let keys = ["dir", "max_bytes", "max_age", "fsync", "when_full"]

    init?(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) {
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        self.init()
        dir = o.read("dir") { value, path -> String? in
            guard let s = v.nonEmptyString(value, path) else { return nil }
            guard s.hasPrefix("/") else {
                v.report(path, "'\(s)' is not an absolute path (a service's working directory is not predictable)", at: value.offset)
                return nil
            }
            return s
        }
        maxBytes = o.read("max_bytes") { v.size($0, $1, in: 65536...Int.max) } ?? maxBytes
        maxAge = o.read("max_age") { value, path -> Duration? in
            guard let d = v.duration(value, path) else { return nil }
            guard d > .zero else { v.report(path, "must be longer than 0", at: value.offset); return nil }
            return d
        } ?? maxAge
        fsync = o.read("fsync") { value, path -> Fsync? in
            let expected = "\"every-record\", \"never\" or \"every-<duration>\" such as \"every-100ms\""
            guard case .string(let s) = value.kind else {
                v.report(path, "expected \(expected), found \(value.foundDescription)", at: value.offset)
                return nil
            }
            if let f = Self.parseFsync(s) { return f }
            v.report(path, "expected \(expected), found \"\(s)\"", at: value.offset)
            return nil
        } ?? fsync
        whenFull = o.read("when_full") { v.choice($0, $1, WhenFull.allCases.map { ($0.rawValue, $0) }) } ?? whenFull
    }

    /// `"every-record"`, `"never"`, `"every-100ms"`, `"every-1s"`; nil otherwise.
    public static func parseFsync(_ s: String) -> Fsync? {
        switch s {
        case "every-record": return .everyRecord
        case "never": return .never
        default:
            guard s.hasPrefix("every-"), let d = ConfigUnits.duration(String(s.dropFirst(6))), d > .zero else { return nil }
            return .interval(d)
        }
    }
}
