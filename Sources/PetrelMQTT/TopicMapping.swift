import PetrelKeyExpr

/// One bridged pair: an MQTT topic filter and the Zenoh key prefix its topics
/// live under. MQTT topic `T` is Zenoh key `prefix/T`; the filter's `+` is the
/// key expression's `*` and its `#` is `**`, so `sensors/+/temp` under
/// `farm/pi1` is `farm/pi1/sensors/*/temp`.
///
/// The two name spaces do not overlap exactly. MQTT allows empty levels
/// (`a//b`, `/a`, `a/`), `$` (`$SYS/...`) and `*`, `?` inside levels; a Zenoh
/// key allows none of these (and `*`/`**` chunks are wildcards). Zenoh keys may
/// hold `+`, which an MQTT topic name may not. Names without a counterpart are
/// not bridged: `key(forTopic:)` and `topic(forKey:)` return nil and the bridge
/// counts them (`skipped`), it never fails on them.
public struct TopicMapping: Sendable, Equatable {
    /// The MQTT topic filter (`+` one level, `#` the rest).
    public let filter: String
    /// The Zenoh key prefix (no wildcards).
    public let prefix: KeyExpr
    /// `prefix/<filter with + as * and # as **>`: what the bridge subscribes to
    /// and answers queries on in Zenoh.
    public let keyExpr: KeyExpr

    private let filterLevels: [Substring]

    /// - Throws: `TopicMappingError` when the filter has no key expression
    ///   (an empty level, `$`, `*`, `?` inside a level: `$SYS/#`, `a//b`),
    ///   or the prefix is wild.
    public init(filter: String, prefix: KeyExpr) throws(TopicMappingError) {
        guard !prefix.isWild else { throw TopicMappingError(filter: filter, reason: "the key prefix '\(prefix)' has wildcards") }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        guard !filter.isEmpty else { throw TopicMappingError(filter: filter, reason: "the topic filter is empty") }
        var chunks: [String] = []
        for (n, level) in levels.enumerated() {
            switch level {
            case "+": chunks.append("*")
            case "#":
                guard n == levels.count - 1 else { throw TopicMappingError(filter: filter, reason: "'#' must be the last level") }
                chunks.append("**")
            default:
                if level.contains("+") || level.contains("#") {
                    throw TopicMappingError(filter: filter, reason: "'+' and '#' must be whole levels")
                }
                chunks.append(String(level))
            }
        }
        let text = prefix.string + "/" + chunks.joined(separator: "/")
        do throws(KeyExprError) {
            keyExpr = try KeyExpr.autocanonize(text)
        } catch {
            throw TopicMappingError(filter: filter, reason: "'\(text)' is not a Zenoh key expression (\(error)): "
                + "levels must be non-empty and hold no '$', '*', '?' (e.g. '$SYS/#' and 'a//b' cannot be bridged)")
        }
        // A literal level such as `*` or `**` would turn into a wildcard chunk
        // that matches more than the filter does.
        for level in levels where level != "+" && level != "#" && level.contains("*") {
            throw TopicMappingError(filter: filter, reason: "level '\(level)' would be a Zenoh wildcard")
        }
        self.filter = filter
        self.prefix = prefix
        self.filterLevels = levels
    }

    /// The Zenoh key of MQTT topic `topic`: nil when the topic does not match
    /// the filter, or when `prefix/topic` is not a concrete key (empty levels,
    /// `$`, `*`, `?`, `#` in the topic).
    public func key(forTopic topic: String) -> KeyExpr? {
        guard Self.topic(topic, matches: filterLevels) else { return nil }
        guard let key = try? KeyExpr(prefix.string + "/" + topic), !key.isWild else { return nil }
        return key
    }

    /// The MQTT topic of Zenoh key `key`: nil when the key is not under the
    /// prefix, is wild, would be an invalid topic name (`+` in a chunk, longer
    /// than 65535 bytes) or does not match the filter.
    public func topic(forKey key: String) -> String? {
        let p = prefix.string.utf8
        let k = key.utf8
        guard k.count > p.count + 1, k.starts(with: p) else { return nil }
        let slash = k.index(k.startIndex, offsetBy: p.count)
        guard k[slash] == UInt8(ascii: "/") else { return nil }
        let topic = String(key[key.index(after: slash)...])
        guard topic.utf8.count <= 65535 else { return nil }
        for b in topic.utf8 where b == UInt8(ascii: "+") || b == UInt8(ascii: "#") || b == UInt8(ascii: "*") || b == 0 {
            return nil
        }
        guard Self.topic(topic, matches: filterLevels) else { return nil }
        return topic
    }

    /// MQTT's matching rule: `+` is one level (possibly empty), `#` the parent
    /// level and everything below; topics starting with `$` are not matched
    /// by a filter starting with a wildcard.
    public static func topic(_ topic: String, matches filter: String) -> Bool {
        Self.topic(topic, matches: filter.split(separator: "/", omittingEmptySubsequences: false))
    }

    static func topic(_ topic: String, matches filterLevels: [Substring]) -> Bool {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), let first = filterLevels.first, first == "+" || first == "#" { return false }
        var i = 0
        while i < filterLevels.count {
            let f = filterLevels[i]
            if f == "#" { return true }
            guard i < levels.count else { return false }
            if f != "+" && f != levels[i] { return false }
            i += 1
        }
        return i == levels.count
    }
}

/// Why a mapping cannot be bridged (names the filter).
public struct TopicMappingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var filter: String
    public var reason: String
    public var description: String { "MQTT topic filter '\(filter)' cannot be bridged: \(reason)" }
}
