/// Chunk-level helpers over the UTF-8 bytes of key expressions. A chunk is
/// given by its bounds `start..<end` in its buffer; `start == count` stands
/// for "no chunks left".

/// The end of the chunk starting at `start`: the index of the next `/`, or `s.count`.
@inline(__always)
func chunkEnd(_ s: KeyBytes, from start: Int) -> Int {
    var i = start
    while i < s.count, s[i] != ASCII.slash { i &+= 1 }
    return i
}

/// The start of the chunk after the one ending at `end` (or `s.count`).
@inline(__always)
func nextChunk(_ s: KeyBytes, after end: Int) -> Int {
    end < s.count ? end &+ 1 : s.count
}

@inline(__always)
func isDoubleWild(_ s: KeyBytes, _ start: Int, _ end: Int) -> Bool {
    end &- start == 2 && s[start] == ASCII.star && s[start &+ 1] == ASCII.star
}

@inline(__always)
func isSingleWild(_ s: KeyBytes, _ start: Int, _ end: Int) -> Bool {
    end &- start == 1 && s[start] == ASCII.star
}

/// A verbatim chunk starts with `@`: it is matched only by itself, never by
/// `*`, `$*` or `**`.
@inline(__always)
func isVerbatim(_ s: KeyBytes, _ start: Int) -> Bool {
    start < s.count && s[start] == ASCII.at
}

/// Whether any chunk from `start` on is verbatim.
func hasVerbatimChunk(_ s: KeyBytes, from start: Int) -> Bool {
    guard start < s.count else { return false }
    if s[start] == ASCII.at { return true }
    var i = start
    while i &+ 1 < s.count {
        if s[i] == ASCII.slash, s[i &+ 1] == ASCII.at { return true }
        i &+= 1
    }
    return false
}

/// Whether `s[start...]` is exactly `**`.
@inline(__always)
func restIsDoubleWild(_ s: KeyBytes, from start: Int) -> Bool {
    s.count &- start == 2 && s[start] == ASCII.star && s[start &+ 1] == ASCII.star
}

@inline(__always)
func bytesEqual(_ a: KeyBytes, _ aStart: Int, _ aEnd: Int, _ b: KeyBytes, _ bStart: Int, _ bEnd: Int) -> Bool {
    let n = aEnd &- aStart
    guard n == bEnd &- bStart else { return false }
    var k = 0
    while k < n {
        if a[aStart &+ k] != b[bStart &+ k] { return false }
        k &+= 1
    }
    return true
}

@inline(__always)
func contains(_ byte: UInt8, _ s: KeyBytes, _ start: Int, _ end: Int) -> Bool {
    var i = start
    while i < end {
        if s[i] == byte { return true }
        i &+= 1
    }
    return false
}

/// Whether two chunks (neither of them `**`) have a common concrete chunk.
func chunksIntersect(_ a: KeyBytes, _ aStart: Int, _ aEnd: Int, _ b: KeyBytes, _ bStart: Int, _ bEnd: Int) -> Bool {
    if bytesEqual(a, aStart, aEnd, b, bStart, bEnd) { return true }
    if isVerbatim(a, aStart) || isVerbatim(b, bStart) { return false }
    if isSingleWild(a, aStart, aEnd) || isSingleWild(b, bStart, bEnd) { return true }
    guard contains(ASCII.dollar, a, aStart, aEnd) || contains(ASCII.dollar, b, bStart, bEnd) else { return false }
    let width = bEnd &- bStart &+ 1
    return BoundedSearch.run { search in
        subChunksIntersect(a, aStart, aEnd, b, bStart, bEnd, width: width, &search)
    }
}

/// `$*` matching inside one chunk, byte by byte: is there a string both
/// `a[i..<aEnd]` and `b[j..<bEnd]` match? Each `$*` either matches nothing
/// (skip it) or swallows one more byte of the other side.
private func subChunksIntersect(
    _ a: KeyBytes, _ i: Int, _ aEnd: Int, _ b: KeyBytes, _ j: Int, _ bEnd: Int,
    width: Int, _ search: inout BoundedSearch
) -> Bool {
    let state = i &* width &+ j
    if let known = search.enter(state) { return known }
    var i = i, j = j
    while i < aEnd, j < bEnd {
        let x = a[i], y = b[j]
        if x == ASCII.dollar, y == ASCII.dollar {
            // Both at `$*`; one ending its chunk matches whatever is left of the other.
            if aEnd &- i == 2 || bEnd &- j == 2 { return search.record(state, true) }
            let r = subChunksIntersect(a, i &+ 2, aEnd, b, j, bEnd, width: width, &search)
                || subChunksIntersect(a, i, aEnd, b, j &+ 2, bEnd, width: width, &search)
            return search.record(state, r)
        } else if x == ASCII.dollar {
            if aEnd &- i == 2 { return search.record(state, true) }
            if subChunksIntersect(a, i &+ 2, aEnd, b, j, bEnd, width: width, &search) {
                return search.record(state, true)
            }
            j &+= 1
        } else if y == ASCII.dollar {
            if bEnd &- j == 2 { return search.record(state, true) }
            if subChunksIntersect(a, i, aEnd, b, j &+ 2, bEnd, width: width, &search) {
                return search.record(state, true)
            }
            i &+= 1
        } else if x == y {
            i &+= 1
            j &+= 1
        } else {
            return search.record(state, false)
        }
    }
    let r = (i == aEnd && j == bEnd)
        || (aEnd &- i == 2 && a[i] == ASCII.dollar)
        || (bEnd &- j == 2 && b[j] == ASCII.dollar)
    return search.record(state, r)
}

/// Whether chunk `l` (not `**`) matches every concrete chunk `r` (not `**`) matches.
/// `r` is read literally: a `$*` in it is only included by a `$*` in `l`
/// that can swallow those two bytes, or by `*`.
func chunkIncludes(_ l: KeyBytes, _ lStart: Int, _ lEnd: Int, _ r: KeyBytes, _ rStart: Int, _ rEnd: Int) -> Bool {
    if bytesEqual(l, lStart, lEnd, r, rStart, rEnd) { return true }
    if isVerbatim(l, lStart) || isVerbatim(r, rStart) { return false }
    if isSingleWild(l, lStart, lEnd) { return true }
    guard contains(ASCII.dollar, l, lStart, lEnd) else { return false }
    // `l` is p0 $* p1 $* ... $* pk: r must start with p0, end with pk (not
    // overlapping p0) and hold p1 ... pk-1 in order in between.
    let firstEnd = findDollarStar(l, lStart, lEnd)
    var lastStart = lEnd
    while lastStart > lStart, !(l[lastStart &- 1] == ASCII.star && lastStart &- 2 >= lStart && l[lastStart &- 2] == ASCII.dollar) {
        lastStart &-= 1
    }
    let prefixLength = firstEnd &- lStart
    let suffixLength = lEnd &- lastStart
    guard rEnd &- rStart >= prefixLength &+ suffixLength,
          bytesEqual(l, lStart, firstEnd, r, rStart, rStart &+ prefixLength),
          bytesEqual(l, lastStart, lEnd, r, rEnd &- suffixLength, rEnd)
    else { return false }
    var cursor = rStart &+ prefixLength
    let limit = rEnd &- suffixLength
    var needleStart = firstEnd &+ 2
    while needleStart < lastStart {
        let needleEnd = findDollarStar(l, needleStart, lEnd)
        guard let found = find(l, needleStart, needleEnd, in: r, cursor, limit) else { return false }
        cursor = found &+ (needleEnd &- needleStart)
        needleStart = needleEnd &+ 2
    }
    return true
}

/// Index of the first `$*` in `s[start..<end]`, or `end`.
@inline(__always)
private func findDollarStar(_ s: KeyBytes, _ start: Int, _ end: Int) -> Int {
    var i = start
    while i &+ 1 < end {
        if s[i] == ASCII.dollar, s[i &+ 1] == ASCII.star { return i }
        i &+= 1
    }
    return end
}

/// First index of `needle[nStart..<nEnd]` in `hay[hStart..<hEnd]`.
private func find(_ needle: KeyBytes, _ nStart: Int, _ nEnd: Int, in hay: KeyBytes, _ hStart: Int, _ hEnd: Int) -> Int? {
    let n = nEnd &- nStart
    var i = hStart
    while i &+ n <= hEnd {
        if bytesEqual(needle, nStart, nEnd, hay, i, i &+ n) { return i }
        i &+= 1
    }
    return nil
}
