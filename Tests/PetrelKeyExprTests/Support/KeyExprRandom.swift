import Foundation
import PetrelKeyExpr
import PetrelTestSupport

/// The key-expression tests' random source: the shared SplitMix64 with
/// generators of key expression strings.
typealias KeyExprRandom = SplitMix64

extension SplitMix64 {
    /// `PETREL_SEED` if set (to replay a failure), else a fixed default.
    static var testSeed: UInt64 { testSeed(default: 0x5EED_4E71_7E5E) }

    mutating func chance(_ oneIn: Int) -> Bool { int(1...oneIn) == 1 }
    mutating func pick<T>(_ a: [T]) -> T { a[int(0...a.count - 1)] }

    // MARK: key expression strings

    /// Chunks from a small alphabet so that random keys often relate; mostly
    /// valid, some not, some valid only after canonization.
    static let chunkPool = [
        "a", "b", "ab", "ba", "aa", "a", "b", "c",
        "*", "*", "**", "**",
        "$*", "a$*", "$*a", "$*b$*", "a$*b", "ab$*", "b$*a$*", "$*$*", "a$*$*",
        "@a", "@b", "@", "@$*", "@a$*",
        "é", "x y", "a.b",
    ]
    static let invalidChunkPool = ["a*", "#", "?", "$", "a$", "***", "*$*", "$**", "", "a#b", "*a"]

    /// A key-expression-like string over `chunkPool` (1 to 6 chunks),
    /// occasionally with an invalid chunk or stray slash.
    mutating func keyString() -> String {
        var chunks = (0..<int(1...6)).map { _ in pick(Self.chunkPool) }
        if chance(12) { chunks[int(0...chunks.count - 1)] = pick(Self.invalidChunkPool) }
        var s = chunks.joined(separator: "/")
        if chance(40) { s = "/" + s }
        if chance(40) { s += "/" }
        return s
    }

    /// Many `*`, `**` and verbatim chunks: stresses `**` backtracking and the
    /// verbatim rules, and canonization of `**` runs.
    mutating func wildRunString() -> String {
        let pool = ["**", "**", "**", "*", "a", "b", "@a", "$*", "a$*"]
        return (0..<int(1...8)).map { _ in pick(pool) }.joined(separator: "/")
    }

    /// Chunks built from `a`, `b` and `$*` pieces: stresses `$*` matching
    /// inside chunks (and the `$*$*` canonization rules).
    mutating func subChunkString() -> String {
        (0..<int(1...3)).map { _ in
            (0..<int(1...6)).map { _ in pick(["a", "b", "$*", "$*", "ab"]) }.joined()
        }.joined(separator: "/")
    }

    /// Short strings of raw characters, mostly invalid: stresses validation.
    mutating func junkString() -> String {
        let chars: [Character] = ["a", "b", "/", "/", "*", "*", "$", "@", "#", "?", "é"]
        return String((0..<int(0...9)).map { _ in pick(chars) })
    }

    /// A string like `s`, chunk by chunk: some chunks kept, some made wild
    /// (`*`, `**`, `$*` pieces) or concrete, some dropped or added; so that
    /// the pair often intersects or includes one way.
    mutating func variant(of s: String) -> String {
        var out: [String] = []
        for chunk in s.split(separator: "/", omittingEmptySubsequences: false).map(String.init) {
            switch int(0...11) {
            case 0: out.append("*")
            case 1: out.append("**")
            case 2: break
            case 3: out.append(chunk); out.append(pick(Self.chunkPool))
            case 4: out.append(pick(["a", "b", "ab", "@a"]))
            case 5: out.append(chunk.isEmpty ? "$*" : String(chunk.dropLast()) + "$*")
            case 6: out.append("$*" + String(chunk.dropFirst()))
            default: out.append(chunk)
            }
        }
        if out.isEmpty { out.append(pick(["**", "a", "*"])) }
        return out.joined(separator: "/")
    }

    /// A valid key expression, in canonical form, from one of the generators above.
    mutating func keyExpr() -> KeyExpr {
        while true {
            let s: String
            switch int(0...3) {
            case 0, 1: s = keyString()
            case 2: s = wildRunString()
            default: s = subChunkString()
            }
            if let k = try? KeyExpr.autocanonize(s) { return k }
        }
    }
}
