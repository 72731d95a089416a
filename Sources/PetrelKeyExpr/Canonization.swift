/// Rewrites a key expression string towards canonical form the way Zenoh
/// 1.10's `autocanonize` does, so that `KeyExpr.autocanonize` accepts and
/// rejects exactly the strings Zenoh does and gives the same result.
///
/// Rules applied, left to right, in one pass:
/// - a run of `**` chunks becomes one `**` (`a/**/**/b` -> `a/**/b`);
/// - a `*` (or `$*`) chunk after a `**` run moves in front of it
///   (`**/*` -> `*/**`, `**/*/*` -> `*/*/**`);
/// - a chunk that is only `$*` (or `$*$*...`) becomes `*`;
/// - `$*$*` inside a chunk becomes `$*`.
/// It does not validate: the result is validated afterwards, so `a//b` or
/// `a*b` come out unchanged and are rejected then.
///
/// Zenoh quirk, reproduced on purpose: for `$*$*` in the middle of a chunk,
/// Zenoh's rewriter also looks 2 bytes past the second `$*`. With fewer than
/// 2 bytes there (`a$*$*b`) it panics, which the Python API raises as an
/// error; with `$*` there (`a$*$*xy$*z`) it drops bytes and its own
/// validation then rejects the `$*$*` it left. Both cases are errors here:
/// `.failed(offset)` for the first, a result that fails validation for the second.
enum Canonization {
    case rewritten([UInt8])
    /// Zenoh cannot canonize this input (it panics); `offset` is the `$*$*`.
    case failed(offset: Int)
}

func canonize(_ s: KeyBytes) -> Canonization {
    let n = s.count
    var out: [UInt8] = []
    out.reserveCapacity(n + 1)
    var i = 0
    var pendingDoubleWild = false
    @inline(__always) func at(_ k: Int) -> UInt8? { k < n ? s[k] : nil }
    @inline(__always) func append(_ a: Int, _ b: Int) { if a < b { out.append(contentsOf: s[a..<b]) } }
    func appendDoubleWild() { out.append(ASCII.star); out.append(ASCII.star) }

    while true {
        let rest = n - i
        // "**" ends the string.
        if rest == 2, s[i] == ASCII.star, s[i + 1] == ASCII.star {
            appendDoubleWild()
            return .rewritten(out)
        }
        // "**/": remember it; it is written before the next chunk that is not * or **.
        if rest >= 3, s[i] == ASCII.star, s[i + 1] == ASCII.star, s[i + 2] == ASCII.slash {
            pendingDoubleWild = true
            i += 3
            continue
        }
        // A "*" or "$*" chunk: written as "*", ahead of any pending "**".
        let wildWidth: Int
        if rest >= 1, s[i] == ASCII.star { wildWidth = 1 }
        else if rest >= 2, s[i] == ASCII.dollar, s[i + 1] == ASCII.star { wildWidth = 2 }
        else { wildWidth = 0 }
        if wildWidth > 0 {
            let after = at(i + wildWidth)
            if after == nil {
                out.append(ASCII.star)
                if pendingDoubleWild {
                    out.append(ASCII.slash)
                    appendDoubleWild()
                }
                return .rewritten(out)
            }
            if after == ASCII.slash {
                out.append(ASCII.star)
                out.append(ASCII.slash)
                i += wildWidth + 1
                continue
            }
        }
        // A chunk starting "$*$*": drop the first "$*" and look again.
        if rest >= 4, s[i] == ASCII.dollar, s[i + 1] == ASCII.star, s[i + 2] == ASCII.dollar, s[i + 3] == ASCII.star {
            i += 2
            continue
        }
        // Any other chunk (or the empty rest): flush the pending "**", copy the chunk.
        if pendingDoubleWild {
            appendDoubleWild()
            out.append(ASCII.slash)
            pendingDoubleWild = false
        }
        var writeStart = i
        var j = i
        while true {
            guard j < n else {
                append(writeStart, j)
                return .rewritten(out)
            }
            let c = s[j]
            if c == ASCII.slash {
                j += 1
                append(writeStart, j)
                i = j
                break
            }
            if c == ASCII.dollar, j + 4 <= n, s[j + 1] == ASCII.star, s[j + 2] == ASCII.dollar, s[j + 3] == ASCII.star {
                // Keep the first "$*", skip the second; Zenoh also inspects the 2
                // bytes after a 2-byte gap (see the type's comment).
                let dollarStar = j
                j += 2
                append(writeStart, j)
                guard j + 4 <= n else { return .failed(offset: dollarStar) }
                let skipsMore = j + 6 <= n && s[j + 4] == ASCII.dollar && s[j + 5] == ASCII.star
                j += skipsMore ? 4 : 2
                writeStart = j
                continue
            }
            j += 1
        }
    }
}
