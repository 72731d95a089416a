/// Whether two valid key expressions share at least one concrete key.
///
/// `**` matches zero or more chunks but no verbatim (`@...`) chunk; `*`
/// matches one non-verbatim chunk; `$*` matches any bytes inside a chunk.
/// Identical strings always intersect (so a verbatim chunk matches itself).
func keyExprsIntersect(_ a: KeyBytes, _ b: KeyBytes, eitherIsWild: Bool) -> Bool {
    if bytesEqual(a, 0, a.count, b, 0, b.count) { return true }
    // Different keys without wildcards name different resources.
    guard eitherIsWild else { return false }
    let width = b.count &+ 1
    return BoundedSearch.run { search in
        suffixesIntersect(a, 0, b, 0, width: width, &search)
    }
}

/// Do the chunks of `a` from `i` on and those of `b` from `j` on intersect?
private func suffixesIntersect(_ a: KeyBytes, _ i: Int, _ b: KeyBytes, _ j: Int, width: Int, _ search: inout BoundedSearch) -> Bool {
    var i = i, j = j
    while i < a.count, j < b.count {
        let aEnd = chunkEnd(a, from: i), bEnd = chunkEnd(b, from: j)
        let aNext = nextChunk(a, after: aEnd), bNext = nextChunk(b, after: bEnd)
        if isDoubleWild(a, i, aEnd) {
            // A final `**` takes everything left unless a verbatim chunk is there.
            if aNext == a.count { return !hasVerbatimChunk(b, from: j) }
            let state = i &* width &+ j
            if let known = search.enter(state) { return known }
            // `**` swallows b's chunk (not a verbatim one), or is done.
            let r = (!isVerbatim(b, j) && suffixesIntersect(a, i, b, bNext, width: width, &search))
                || suffixesIntersect(a, aNext, b, j, width: width, &search)
            return search.record(state, r)
        }
        if isDoubleWild(b, j, bEnd) {
            if bNext == b.count { return !hasVerbatimChunk(a, from: i) }
            let state = i &* width &+ j
            if let known = search.enter(state) { return known }
            let r = (!isVerbatim(a, i) && suffixesIntersect(a, aNext, b, j, width: width, &search))
                || suffixesIntersect(a, i, b, bNext, width: width, &search)
            return search.record(state, r)
        }
        guard chunksIntersect(a, i, aEnd, b, j, bEnd) else { return false }
        i = aNext
        j = bNext
    }
    // One side is used up; the other may only have a `**` left (matching nothing).
    return (i == a.count || restIsDoubleWild(a, from: i)) && (j == b.count || restIsDoubleWild(b, from: j))
}
