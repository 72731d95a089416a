// The text forms of a timestamp as uhlc 0.9 (and so Zenoh) writes them:
// `<time>/<id>`, the time either as the raw NTP64 value in decimal (lossless,
// uhlc's `Display`/`FromStr`) or as RFC 3339 (lossy, uhlc's `{:#}`), the id as
// lowercase hex without leading zeros.

extension Timestamp {
    /// Parses uhlc's lossless form `<NTP64 in decimal>/<id in hex>`, e.g.
    /// `7386690599959157260/33`. Returns `nil` without a `/`, with a bad time, or
    /// with a bad or zero id.
    public init?<S: StringProtocol>(_ text: S) {
        guard let (time, id) = Self.split(text), let t = NTP64(decimal: time) else { return nil }
        self.init(time: t, id: id)
    }

    /// Parses uhlc's human-readable form `<RFC 3339 time>/<id in hex>`, e.g.
    /// `2024-07-01T15:32:06.860479000Z/33`. Returns `nil` on the same conditions
    /// as `NTP64(rfc3339:)` and `init?(_:)`.
    public init?<S: StringProtocol>(rfc3339 text: S) {
        guard let (time, id) = Self.split(text), let t = NTP64(rfc3339: time) else { return nil }
        self.init(time: t, id: id)
    }

    /// uhlc's lossless text form, `<NTP64 in decimal>/<id>`: what Zenoh prints
    /// for a timestamp and what `init?(_:)` reads back exactly.
    public var decimalString: String { time.decimalString + "/" + id.description }

    /// uhlc's human-readable form, `<RFC 3339>/<id>` (lossy: nanoseconds).
    public var rfc3339: String { time.rfc3339 + "/" + id.description }

    private static func split<S: StringProtocol>(_ text: S) -> (S.SubSequence, ZenohID)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let idText = text[text.index(after: slash)...]
        // uhlc rejects an id written with leading zeros.
        guard idText.first != "0", let id = ZenohID(String(idText)) else { return nil }
        return (text[..<slash], id)
    }
}
