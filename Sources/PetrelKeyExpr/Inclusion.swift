/// Whether every concrete key `r` matches is also matched by `l`.
///
/// Like Zenoh, this reads `r`'s chunks literally against `l`'s: `**` in `l`
/// includes any run of non-verbatim chunks of `r` (`**` in `r` included only
/// by `**` in `l`), `*` includes any non-verbatim chunk, and a chunk with
/// `$*` includes the chunks that fit its fixed parts (`a$*` includes `ab$*`).
func keyExprIncludes(_ l: KeyBytes, _ r: KeyBytes) -> Bool {
    if bytesEqual(l, 0, l.count, r, 0, r.count) { return true }
    let width = r.count &+ 1
    return BoundedSearch.run { search in
        suffixIncludes(l, 0, r, 0, width: width, &search)
    }
}

private func suffixIncludes(_ l: KeyBytes, _ i: Int, _ r: KeyBytes, _ j: Int, width: Int, _ search: inout BoundedSearch) -> Bool {
    var i = i, j = j
    while true {
        let lEnd = chunkEnd(l, from: i)
        let lNext = nextChunk(l, after: lEnd)
        let lIsLast = lNext == l.count
        if isDoubleWild(l, i, lEnd) {
            let state = i &* width &+ j
            if let known = search.enter(state) { return known }
            let answer: Bool
            if lIsLast && !hasVerbatimChunk(r, from: j) {
                answer = true // a final `**` takes all that is left
            } else if !lIsLast && suffixIncludes(l, lNext, r, j, width: width, &search) {
                answer = true // `**` takes nothing more
            } else if isVerbatim(r, j) {
                answer = false
            } else {
                // `**` takes r's next chunk (there must be one after it).
                let rNext = nextChunk(r, after: chunkEnd(r, from: j))
                answer = rNext != r.count && suffixIncludes(l, i, r, rNext, width: width, &search)
            }
            return search.record(state, answer)
        } else {
            guard j < r.count else { return false }
            let rEnd = chunkEnd(r, from: j)
            guard !isDoubleWild(r, j, rEnd), chunkIncludes(l, i, lEnd, r, j, rEnd) else { return false }
            let rNext = nextChunk(r, after: rEnd)
            if lIsLast { return rNext == r.count }
            i = lNext
            j = rNext
        }
    }
}
