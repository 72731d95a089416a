/// The agent's periodic status sample (`heartbeat` in the configuration).
public struct HeartbeatConfig: Sendable, Equatable {
    /// Key to publish on; `{hostname}` is replaced by the board's host name.
    public var key: String = "petrel/{hostname}/heartbeat"
    /// Seconds between beats; 0 turns the heartbeat off.
    public var intervalSeconds: Double = 10

    public init() {}
}

extension String {
    func replacingHostname(with host: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: "{hostname}") {
            out += rest[..<r.lowerBound] + host
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
