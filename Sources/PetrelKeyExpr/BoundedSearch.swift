/// Book-keeping for the backtracking matchers (`**` against chunks, `$*`
/// against bytes).
///
/// Plain backtracking is what Zenoh does and is fastest on real keys, but
/// it is exponential on adversarial ones (`**/a/**/a/**/a/**/b` against a
/// long run of `a`s, `$*a$*a$*a$*b` against `aaaa...`), and key expressions
/// arrive from peers. (Zenoh 1.10.2 itself spends about 8 minutes on twelve
/// `**/a` against forty `a`s; this answers in under a millisecond.) So a match first runs with a small step budget and no
/// memory; if the budget runs out it runs again memoized on the pair of
/// positions, which bounds the work by (positions in one) x (positions in the
/// other). The matched relation is a pure function of that pair, so both runs
/// give the same answer.
struct BoundedSearch {
    /// Calls allowed before giving up on plain backtracking. Real keys need a
    /// few dozen at most.
    static let stepLimit = 4096

    private var steps = 0
    private(set) var gaveUp = false
    private var memo: [Int: Bool]?

    /// A budgeted search (no allocation).
    init() { memo = nil }

    /// A memoized search (allocates, never gives up).
    init(memoized: Void) { memo = [:] }

    /// Call on entering a recursive step. Returns a known answer for `state`
    /// (from memory, or `false` once the budget is spent), or nil to compute it.
    @inline(__always)
    mutating func enter(_ state: Int) -> Bool? {
        if memo != nil { return memo![state] }
        steps &+= 1
        if steps > Self.stepLimit {
            gaveUp = true
            return false
        }
        return nil
    }

    /// Records the answer for `state` (memoized searches only).
    @inline(__always)
    mutating func record(_ state: Int, _ answer: Bool) -> Bool {
        if memo != nil { memo![state] = answer }
        return answer
    }

    /// Runs `body` with a budget, then memoized if the budget ran out.
    @inline(__always)
    static func run(_ body: (inout BoundedSearch) -> Bool) -> Bool {
        var budgeted = BoundedSearch()
        let answer = body(&budgeted)
        if !budgeted.gaveUp { return answer }
        var memoized = BoundedSearch(memoized: ())
        return body(&memoized)
    }
}
