/// Rateless invertible Bloom lookup table (Yang, Gilad, Alizadeh, "Practical Rateless Set
/// Reconciliation", SIGCOMM 2024), our own implementation.
///
/// A set of 64-bit IDs is encoded into an endless stream of coded symbols; symbol `i` holds
/// the XOR of the IDs mapped to it, the XOR of their 16-bit checksums and their count. ID `x`
/// is mapped to symbol `i` with probability 2/(i+2) (symbol 0 holds every ID), so any prefix
/// of the stream is a good IBLT for a difference of about (prefix length)/1.4 IDs or more.
/// Subtracting two sides' prefixes symbol by symbol leaves a sketch of the symmetric
/// difference, which is peeled: a symbol with count ±1 whose checksum matches its ID holds
/// exactly one ID, which is then removed from every symbol it is mapped to.
///
/// The responder can send the next symbols later without remembering anything: symbol
/// `i` depends only on the set, never on what was sent before.
struct CodedSymbol: Equatable, Sendable {
    var idXor: UInt64 = 0
    var checkXor: UInt16 = 0
    var count: Int64 = 0

    static let zero = CodedSymbol()

    var isZero: Bool { idXor == 0 && checkXor == 0 && count == 0 }

    @inline(__always)
    mutating func add(_ id: UInt64, sign: Int64 = 1) {
        idXor ^= id
        checkXor ^= EntryHash.check(id)
        count &+= sign
    }

    static func - (a: CodedSymbol, b: CodedSymbol) -> CodedSymbol {
        CodedSymbol(idXor: a.idXor ^ b.idXor, checkXor: a.checkXor ^ b.checkXor, count: a.count &- b.count)
    }
}

/// The symbol indices an ID is mapped to, ascending, starting at 0.
///
/// After index j, the next index is the smallest t with P(no index in (j, t]) < u, u uniform
/// in (0, 1]: with P(i mapped) = 2/(i+2), P(none in (j, t]) = (j+1)(j+2)/((t+1)(t+2)) ≈
/// ((j+1.5)/(t+1.5))², so t = ⌈(j + 1.5)/√u − 1.5⌉ (at least j + 1). u comes from a
/// SplitMix64 stream seeded with the ID, so both sides compute the same indices.
struct SymbolIndices {
    private(set) var current: UInt64 = 0
    private var state: UInt64

    init(id: UInt64) { state = id }

    @inline(__always)
    mutating func advance() {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = Double((z >> 11) + 1) * 0x1p-53
        let next = ((Double(current) + 1.5) / u.squareRoot() - 1.5).rounded(.up)
        // Beyond 2^52 the stream is over for any sketch we could ever hold.
        let t: UInt64 = next >= 0x1p52 ? 1 << 52 : UInt64(next)
        current = max(t, current + 1)
    }
}

enum RatelessSketch {
    /// The largest number of coded symbols one message carries and a decoder holds.
    static let maxSymbols = 1 << 20
    /// The most symbols one reply carries (the initiator asks again for the rest).
    static let maxSymbolsPerReply = 1 << 17

    /// Coded symbols `range` of the set `ids`: O(|ids| · log(range.upperBound)).
    static func encode(_ ids: [UInt64], range: Range<Int>) -> [CodedSymbol] {
        var out = [CodedSymbol](repeating: .zero, count: range.count)
        guard !range.isEmpty else { return out }
        let lower = UInt64(range.lowerBound), upper = UInt64(range.upperBound)
        for id in ids {
            var seq = SymbolIndices(id: id)
            while seq.current < upper {
                if seq.current >= lower { out[Int(seq.current - lower)].add(id) }
                seq.advance()
            }
        }
        return out
    }

    /// The IDs of a 2^-level sample (0: all): those whose sampling hash has at least `level`
    /// trailing zero bits. Both sides pick the same sample.
    static func sample(_ ids: [UInt64], level: Int) -> [UInt64] {
        guard level > 0 else { return ids }
        return ids.filter { EntryHash.rehash($0, salt: 0x5A3B_1E00).trailingZeroBitCount >= level }
    }

    /// Whether `id` is mapped to symbol `index`.
    static func maps(_ id: UInt64, to index: Int) -> Bool {
        var seq = SymbolIndices(id: id)
        while seq.current < UInt64(index) { seq.advance() }
        return seq.current == UInt64(index)
    }
}

/// Peels the difference of two sides' coded symbols (ours − theirs), growing as more symbols
/// arrive. IDs that peel with count +1 are ours only, with −1 theirs only.
struct SketchDecoder: Sendable {
    private(set) var residual: [CodedSymbol] = []
    private(set) var oursOnly: [UInt64] = []
    private(set) var theirsOnly: [UInt64] = []
    /// Which symbols of the difference were empty when they arrived (before peeling): the
    /// evidence `estimateDifference` weighs.
    private(set) var emptyOnArrival: [Bool] = []
    /// Our IDs in the window: an ID that peels as ours must be one of them, one that peels as
    /// theirs must not be (a second purity check beside the 16-bit checksum).
    let ours: Set<UInt64>

    init(ours: Set<UInt64>) { self.ours = ours }

    var symbolCount: Int { residual.count }

    /// Appends the difference of the next symbols (both arrays cover the same indices,
    /// starting at `symbolCount`), removes from them what was already peeled, and peels.
    mutating func extend(ours mine: [CodedSymbol], theirs: [CodedSymbol]) {
        let start = residual.count
        for i in 0..<min(mine.count, theirs.count) {
            let d = mine[i] - theirs[i]
            residual.append(d)
            emptyOnArrival.append(d.isZero)
        }
        let end = residual.count
        if start > 0 {
            for id in oursOnly { apply(id, sign: 1, in: start..<end) }
            for id in theirsOnly { apply(id, sign: -1, in: start..<end) }
        }
        peel(candidates: Array(0..<end))
    }

    /// True when every symbol is empty: the whole difference has been recovered (with the
    /// fingerprint check the initiator adds, the chance of a wrong answer is ~2^-64).
    var isComplete: Bool { residual.allSatisfy(\.isZero) }

    /// Whether the decoded difference agrees with both fingerprints: theirs = ours − ours-only + theirs-only.
    func verifies(ours: AlignmentFingerprint, theirs: AlignmentFingerprint) -> Bool {
        var fp = ours
        for id in oursOnly { fp.remove(AlignmentEntryID(rawValue: id)) }
        for id in theirsOnly { fp.insert(AlignmentEntryID(rawValue: id)) }
        return fp == theirs
    }

    /// Too few symbols arrived empty to measure the difference: it is several times larger
    /// than the symbols received (fewer than 2 empty symbols beyond the first 8).
    var isSaturated: Bool {
        emptyOnArrival.count > 8 && emptyOnArrival[8...].filter { $0 }.count < 2
    }

    /// The most likely size of the whole difference, from which symbols arrived empty (symbol
    /// i is empty with probability (1 − 2/(i+2))^d), at least what was already peeled. Accurate
    /// to ~10–20 % when the sketch is within a factor of 4 of the right size.
    func estimateDifference(atLeast lowerBound: Int) -> Int {
        // Symbols grouped by index into buckets 2^(b/4) wide, each with a mean log(1 − p).
        var logQ = [Double](repeating: 0, count: 128), empties = [Int](repeating: 0, count: 128)
        var fulls = [Int](repeating: 0, count: 128), sizes = [Int](repeating: 0, count: 128)
        for i in 1..<max(1, emptyOnArrival.count) {
            let b = min(127, Int((log2(Double(i + 2)) * 4).rounded(.down)))
            logQ[b] += log1p(-2.0 / Double(i + 2))
            sizes[b] += 1
            if emptyOnArrival[i] { empties[b] += 1 } else { fulls[b] += 1 }
        }
        let low = Double(min(max(1, lowerBound), 1 << 40))
        var best = low, bestLL = -Double.infinity
        var d = low
        let high = max(low * 2, Double(emptyOnArrival.count) * 16)
        while d <= high {
            var ll = 0.0
            for b in 0..<128 where sizes[b] > 0 {
                let a = logQ[b] / Double(sizes[b])
                let none = exp(d * a)
                ll += Double(empties[b]) * d * a + Double(fulls[b]) * log(max(1e-300, 1 - none))
            }
            if ll > bestLL { bestLL = ll; best = d }
            d = max(d + 1, (d * 1.03).rounded())
        }
        // A saturated sketch pushes the likelihood to infinity: m symbols say nothing about a
        // difference beyond ~8·m. The caller then sizes for 8·m; if that is still too small the
        // responder measures again on the bigger sketch.
        return Int(min(best, max(low, Double(emptyOnArrival.count) * 8)))
    }

    private mutating func peel(candidates: [Int]) {
        var stack = candidates
        while let i = stack.popLast() {
            let s = residual[i]
            guard s.count == 1 || s.count == -1, s.checkXor == EntryHash.check(s.idXor) else { continue }
            let id = s.idXor
            let isOurs = s.count == 1
            guard isOurs == ours.contains(id), RatelessSketch.maps(id, to: i) else { continue }
            if isOurs { oursOnly.append(id) } else { theirsOnly.append(id) }
            var seq = SymbolIndices(id: id)
            let end = UInt64(residual.count)
            while seq.current < end {
                let j = Int(seq.current)
                // Removing an ID undoes its sign: subtract +1 for ours, add back for theirs.
                residual[j].add(id, sign: isOurs ? -1 : 1)
                stack.append(j)
                seq.advance()
            }
        }
    }

    private mutating func apply(_ id: UInt64, sign: Int64, in range: Range<Int>) {
        var seq = SymbolIndices(id: id)
        while seq.current < UInt64(range.upperBound) {
            if seq.current >= UInt64(range.lowerBound) { residual[Int(seq.current)].add(id, sign: -sign) }
            seq.advance()
        }
    }
}
