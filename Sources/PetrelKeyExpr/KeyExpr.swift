/// A Zenoh key expression in canonical form: the name of a resource
/// (`demo/example/a`) or a pattern over names (`demo/**`, `sensor/*/temp`,
/// `log/$*.txt`).
///
/// The language (Zenoh 1.x): `/`-separated non-empty chunks. `*` as a whole
/// chunk matches exactly one chunk; `**` as a whole chunk matches zero or
/// more chunks; `$*` inside a chunk matches any bytes within that chunk.
/// Chunks starting with `@` are verbatim: only an identical chunk matches
/// them (no wildcard does). `#` and `?` never appear.
///
/// Matching works on UTF-8 bytes and does not allocate on the common path.
/// Where Zenoh's own implementation has quirks, this type reproduces them,
/// so a Petrel node and a Zenoh router always agree on who gets what
/// (checked against eclipse-zenoh 1.10.2 by the differential tests).
public struct KeyExpr: Hashable, Sendable, CustomStringConvertible {
    /// The key expression's text, in canonical form.
    public let string: String
    /// Whether the text holds a `*` (`*`, `**` or `$*`); cached because
    /// `intersects` asks it of both sides first.
    public let isWild: Bool

    /// Accepts `s` if it is a valid key expression in canonical form (as
    /// `zenoh.KeyExpr(s)` does).
    ///
    /// - Throws: `KeyExprError` naming the first problem and its byte offset,
    ///   e.g. an empty chunk in `a//b`, `a*b`, or `**/**` (not canonical).
    public init(_ s: String) throws(KeyExprError) {
        var s = s
        s.makeContiguousUTF8()
        let problem = s.utf8.withContiguousStorageIfAvailable { firstProblem(in: $0) } ?? nil
        if let problem { throw KeyExprError(problem.reason, in: s, at: problem.offset) }
        self.init(validated: s)
    }

    /// `s` is valid, canonical and contiguous UTF-8.
    init(validated s: String) {
        string = s
        isWild = s.utf8.contains(ASCII.star)
    }

    /// Rewrites `s` into canonical form (`a/**/**/b` -> `a/**/b`,
    /// `**/*` -> `*/**`, `a/$*` -> `a/*`, `a$*$*` -> `a$*`), then validates
    /// it, like `zenoh.KeyExpr.autocanonize`.
    ///
    /// - Throws: `KeyExprError` when the rewritten string is still not a key
    ///   expression (`a//b`, `a*b`, `#`). Inputs that Zenoh 1.10.2 itself
    ///   fails to canonize (`$*$*` in the middle of a chunk, e.g. `a$*$*b`)
    ///   are rejected with `.dollarAfterDollarStar`, so both sides agree.
    public static func autocanonize(_ s: String) throws(KeyExprError) -> KeyExpr {
        var s = s
        s.makeContiguousUTF8()
        let result = s.utf8.withContiguousStorageIfAvailable { canonize($0) } ?? .failed(offset: 0)
        switch result {
        case .failed(let offset):
            throw KeyExprError(.dollarAfterDollarStar, in: s, at: offset)
        case .rewritten(let bytes):
            // Only whole ASCII runs and whole chunks are moved, so this stays UTF-8.
            return try KeyExpr(String(decoding: bytes, as: UTF8.self))
        }
    }

    public var description: String { string }

    /// Whether some concrete key matches both `self` and `other`: the test a
    /// router applies between a publication and a subscription.
    public func intersects(_ other: KeyExpr) -> Bool {
        let eitherIsWild = isWild || other.isWild
        return withBytes { a in
            other.withBytes { b in keyExprsIntersect(a, b, eitherIsWild: eitherIsWild) }
        }
    }

    /// Whether every key `other` matches is matched by `self`
    /// (`demo/**` includes `demo/a/*`; `demo/*` does not include `demo/**`).
    public func includes(_ other: KeyExpr) -> Bool {
        withBytes { l in other.withBytes { r in keyExprIncludes(l, r) } }
    }

    /// `self/suffix` in canonical form, like Zenoh's `join`:
    /// `demo/**` joined with `*` is `demo/*/**`.
    ///
    /// - Throws: `KeyExprError` when the result is not a key expression
    ///   (an empty `suffix`, a suffix starting with `/`, `a*b`, ...).
    public func join(_ suffix: String) throws(KeyExprError) -> KeyExpr {
        try KeyExpr.autocanonize(string + "/" + suffix)
    }

    /// The longest run of leading whole chunks without any wildcard
    /// (`demo/example/**` -> `demo/example`), as Zenoh's
    /// `get_nonwild_prefix`: `self` when it has no wildcard, nil when its
    /// first chunk has one.
    public var nonWildPrefix: KeyExpr? {
        guard isWild else { return self }
        let utf8 = string.utf8
        guard let star = utf8.firstIndex(of: ASCII.star),
              let slash = utf8[..<star].lastIndex(of: ASCII.slash)
        else { return nil }
        return KeyExpr(validated: String(string[..<slash]))
    }

    /// The number of chunks.
    public var chunkCount: Int {
        1 + string.utf8.reduce(0) { $0 + ($1 == ASCII.slash ? 1 : 0) }
    }

    public static func == (a: KeyExpr, b: KeyExpr) -> Bool { a.string == b.string }
    public func hash(into hasher: inout Hasher) { hasher.combine(string) }

    /// Runs `body` over the UTF-8 bytes. `string` is kept contiguous, so this
    /// does not copy (the fallback is for safety only).
    @inline(__always)
    func withBytes<R>(_ body: (KeyBytes) -> R) -> R {
        if let r = string.utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = string
        return copy.withUTF8(body)
    }
}
