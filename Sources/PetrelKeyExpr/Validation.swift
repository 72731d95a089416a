/// The bytes of one key expression, read without copying.
typealias KeyBytes = UnsafeBufferPointer<UInt8>

enum ASCII {
    static let slash: UInt8 = 0x2F    // "/"
    static let star: UInt8 = 0x2A     // "*"
    static let dollar: UInt8 = 0x24   // "$"
    static let at: UInt8 = 0x40       // "@"
    static let hash: UInt8 = 0x23     // "#"
    static let question: UInt8 = 0x3F // "?"
}

/// A problem found by `firstProblem(in:)`: what and where (byte offset).
struct KeyExprProblem: Equatable {
    var reason: KeyExprError.Reason
    var offset: Int
}

/// Checks that `s` is a key expression in canonical form, as Zenoh 1.x's
/// `keyexpr::try_from` does, and returns the first problem (nil when valid).
///
/// The grammar: `/`-separated non-empty chunks; a chunk holding `*` is exactly
/// `*` or `**`, or uses `*` only in `$*`; `$` only in `$*`; no `#`/`?`.
/// Canonical form adds: no chunk that is only `$*`, no `$*$`, no `**/*`,
/// no `**/**`. Anything else (spaces, control bytes, any UTF-8) is allowed.
/// Verbatim chunks (`@...`) have no rules of their own here.
func firstProblem(in s: KeyBytes) -> KeyExprProblem? {
    let n = s.count
    if n == 0 { return KeyExprProblem(reason: .empty, offset: 0) }
    if s[n - 1] == ASCII.slash { return KeyExprProblem(reason: .emptyChunk, offset: n - 1) }
    var chunkStart = 0
    var i = 0
    @inline(__always) func at(_ k: Int) -> UInt8? { k < n ? s[k] : nil }
    while i < n {
        let c = s[i]
        // Every special byte is <= "/" except "?" (and "@", which needs no check).
        if c > ASCII.slash && c != ASCII.question { i += 1; continue }
        switch c {
        case ASCII.slash:
            if i == chunkStart { return KeyExprProblem(reason: .emptyChunk, offset: i) }
            i += 1
            chunkStart = i
        case ASCII.star:
            guard i == chunkStart else { return KeyExprProblem(reason: .starInChunk, offset: i) }
            switch at(i + 1) {
            case nil:
                return nil
            case ASCII.slash:
                i += 2
                chunkStart = i
            case ASCII.star:
                switch at(i + 2) {
                case nil:
                    return nil
                case ASCII.slash:
                    if at(i + 3) == ASCII.star {
                        // `**/` followed by a chunk starting with `*`.
                        let after = at(i + 4)
                        if after == nil || after == ASCII.slash {
                            return KeyExprProblem(reason: .singleStarAfterDoubleStar, offset: i)
                        }
                        if after == ASCII.star, at(i + 5) == nil || at(i + 5) == ASCII.slash {
                            return KeyExprProblem(reason: .doubleStarAfterDoubleStar, offset: i)
                        }
                        return KeyExprProblem(reason: .starInChunk, offset: i + 4)
                    }
                    i += 3
                    chunkStart = i
                default:
                    return KeyExprProblem(reason: .starInChunk, offset: i + 2)
                }
            default:
                return KeyExprProblem(reason: .starInChunk, offset: i + 1)
            }
        case ASCII.dollar:
            guard at(i + 1) == ASCII.star else { return KeyExprProblem(reason: .unboundDollar, offset: i) }
            switch at(i + 2) {
            case ASCII.dollar:
                return KeyExprProblem(reason: .dollarAfterDollarStar, offset: i + 2)
            case nil, ASCII.slash:
                if i == chunkStart { return KeyExprProblem(reason: .loneDollarStar, offset: i) }
                if at(i + 2) == nil { return nil }
                i += 2
            default:
                i += 2
            }
        case ASCII.hash, ASCII.question:
            return KeyExprProblem(reason: .forbiddenCharacter, offset: i)
        default:
            i += 1
        }
    }
    return nil
}
