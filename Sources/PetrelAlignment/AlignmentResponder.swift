import PetrelKeyExpr
import PetrelTime

/// The responder: stateless per message (any state it needs travels in the messages), so a
/// queryable can answer any number of initiators, in any order, any number of times.
public enum AlignmentResponder {
    /// The answer to one query payload. Throws `AlignmentMessageError` for malformed bytes and
    /// `AlignmentResponderError` for a query this index cannot answer (another scope, another
    /// sub-interval length).
    ///
    /// The query's scope must be the index's scope (then the window's fingerprint comes from
    /// the kept fingerprints, O(intervals)) or included in it (then it is computed by scanning
    /// the window's entries: correct, but keep an index per peer scope to make it cheap).
    public static func reply(to query: [UInt8], index: AlignmentIndex, now: NTP64) throws -> [UInt8] {
        let message = try AlignmentMessage(decoding: query)
        switch message {
        case .open(let open):
            let turn = open.subject.turn
            let view = try WindowView(index: index, subject: open.subject)
            let mine = view.fingerprint
            if mine == open.fingerprint { return AlignmentMessage.inSync(turn: open.subject.turn).encoded() }
            let ids = view.ids
            let lowerBound = Int(clamping: Int64(bitPattern: mine.count &- open.fingerprint.count).magnitude)
            let estimate = DifferenceEstimator(ids: ids).estimate(comparedWith: open.estimator, lowerBound: lowerBound)
            let (level, symbols) = SketchSizing.firstSketch(estimate: estimate)
            // Listing every entry is cheaper than a sketch when the window holds few entries
            // (a replica added late, an edge just booted): ~14 bytes an entry, 11 a symbol.
            if ids.count * 14 <= symbols * 11 {
                return AlignmentMessage.reply(.init(turn: turn, fingerprint: mine, symbolsFrom: 0, symbols: [],
                                                    entries: view.entries(ids), isFullListing: true)).encoded()
            }
            return AlignmentMessage.reply(.init(turn: turn, fingerprint: mine, symbolsFrom: 0,
                                                symbols: RatelessSketch.encode(RatelessSketch.sample(ids, level: level), range: 0..<symbols),
                                                sampleLevel: level, entries: [], isFullListing: false)).encoded()
        case .request(let request):
            let turn = request.subject.turn
            let view = try WindowView(index: index, subject: request.subject)
            if request.listAll {
                return AlignmentMessage.reply(.init(turn: turn, fingerprint: view.fingerprint, symbolsFrom: 0, symbols: [],
                                                    entries: view.entries(view.ids), isFullListing: true)).encoded()
            }
            var entries: [AlignmentEntry] = []
            if !request.wanted.isEmpty {
                let wanted = Set(request.wanted)
                entries = view.entries(view.ids.filter { wanted.contains(UInt32(truncatingIfNeeded: $0)) })
            }
            var symbols: [CodedSymbol] = []
            if request.symbolCount > 0 {
                // At most maxSymbolsPerReply (~1.4 MB) per answer: a query cannot make us build more.
                let n = min(request.symbolCount, RatelessSketch.maxSymbolsPerReply)
                symbols = RatelessSketch.encode(RatelessSketch.sample(view.ids, level: request.sampleLevel),
                                                range: request.symbolsFrom..<request.symbolsFrom + n)
            }
            return AlignmentMessage.reply(.init(turn: turn, fingerprint: nil, symbolsFrom: request.symbolsFrom, symbols: symbols,
                                                sampleLevel: request.sampleLevel, entries: entries, isFullListing: false)).encoded()
        case .sketch(let sketch):
            let turn = sketch.subject.turn
            let view = try WindowView(index: index, subject: sketch.subject)
            let ids = view.ids
            var decoder = SketchDecoder(ours: Set(ids))
            decoder.extend(ours: RatelessSketch.encode(ids, range: 0..<sketch.symbols.count), theirs: sketch.symbols)
            if decoder.isComplete && decoder.verifies(ours: view.fingerprint, theirs: sketch.fingerprint) {
                return AlignmentMessage.reply(.init(turn: turn, fingerprint: nil, symbolsFrom: 0, symbols: [],
                                                    entries: view.entries(decoder.oursOnly), isFullListing: false,
                                                    initiatorOnly: decoder.theirsOnly.map { UInt32(truncatingIfNeeded: $0) })).encoded()
            }
            // Not decodable either: our failed decoding of a whole sketch measures the
            // difference well; send our symbols from where the initiator's copy of ours ends,
            // enough for it to decode (and fetch the entries) in one more round.
            let recovered = decoder.oursOnly.count + decoder.theirsOnly.count
            let estimate = decoder.estimateDifference(atLeast: max(recovered + 1, sketch.symbols.count))
            let from = sketch.responderSymbols
            let to = min(RatelessSketch.maxSymbols, max(from + 16, SketchSizing.decodable(estimate: estimate)))
            let n = min(to - from, RatelessSketch.maxSymbolsPerReply)
            return AlignmentMessage.reply(.init(turn: turn, fingerprint: nil, symbolsFrom: from,
                                                symbols: n > 0 ? RatelessSketch.encode(ids, range: from..<from + n) : [],
                                                entries: [], isFullListing: false)).encoded()
        case .inSync, .reply:
            throw AlignmentMessageError.invalid(field: "message tag", offset: 0, reason: "a reply, not a query")
        }
    }
}

/// A query this index cannot answer.
public enum AlignmentResponderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The query compares a scope the index does not include.
    case scopeMismatch(query: String, index: String)
    /// Both sides cut time differently: windows would not hold the same entries.
    case layoutMismatch(querySubIntervalMillis: UInt64, indexSubIntervalMillis: UInt64)

    public var description: String {
        switch self {
        case let .scopeMismatch(q, i):
            return "alignment query for scope \(q) cannot be answered by the index of \(i) (it must be the same or included)"
        case let .layoutMismatch(q, i):
            return "alignment query cuts time in \(q) ms sub-intervals, this index in \(i) ms"
        }
    }
}

/// The entries of an index a reconciliation compares: a window, and possibly a scope narrower
/// than the index's.
struct WindowView {
    let index: AlignmentIndex
    let window: AlignmentWindow
    /// Set when the compared scope is narrower than the index's (entries are filtered by scan).
    let narrowed: KeyExpr?
    let ids: [UInt64]
    let fingerprint: AlignmentFingerprint

    init(index: AlignmentIndex, subject: AlignmentMessage.Subject) throws(AlignmentResponderError) {
        guard subject.subIntervalMillis == index.layout.subIntervalMillis else {
            throw .layoutMismatch(querySubIntervalMillis: subject.subIntervalMillis,
                                  indexSubIntervalMillis: index.layout.subIntervalMillis)
        }
        if subject.scope == index.scope {
            self.init(index: index, window: subject.window, narrowedTo: nil)
        } else if index.scope.includes(subject.scope) {
            self.init(index: index, window: subject.window, narrowedTo: subject.scope)
        } else {
            throw .scopeMismatch(query: subject.scope.string, index: index.scope.string)
        }
    }

    init(index: AlignmentIndex, window: AlignmentWindow, narrowedTo narrowed: KeyExpr?) {
        self.index = index
        self.window = window
        self.narrowed = narrowed
        if let narrowed {
            ids = index.ids(in: window, narrowedTo: narrowed)
            var fp = AlignmentFingerprint()
            for id in ids { fp.insert(AlignmentEntryID(rawValue: id)) }
            fingerprint = fp
        } else {
            ids = index.ids(in: window)
            fingerprint = index.fingerprint(of: window)
        }
    }

    func contains(_ e: AlignmentEntry) -> Bool {
        guard window.contains(subInterval: index.layout.subInterval(of: e.timestamp.time)) else { return false }
        guard let narrowed else { return true }
        guard let k = try? KeyExpr(e.key) else { return false }
        return narrowed.includes(k)
    }

    func entries(_ ids: [UInt64]) -> [AlignmentEntry] {
        ids.compactMap { index.entry(withID: AlignmentEntryID(rawValue: $0)) }
    }
}

/// How many coded symbols to ask for. A rateless IBLT needs about 1.35–1.7 symbols per
/// difference to peel (more for tiny differences).
enum SketchSizing {
    /// The responder's first sketch, from the 16-byte estimator (coarse, within a factor of
    /// ~2). A small difference gets a whole sketch with a margin, which the initiator peels.
    /// A large one gets a sketch of a sample holding ~48 differences (96 symbols, ~1 KB):
    /// enough for the initiator to measure the difference to ~±15 % and send a sketch of
    /// its own of the right size.
    static func firstSketch(estimate: Int) -> (level: Int, symbols: Int) {
        let d = Double(max(1, estimate))
        if d <= 64 { return (0, Int((1.75 * d + 14).rounded(.up))) }
        // Large differences can afford a bigger sample (a more precise measurement): 192
        // symbols for ~48–96 sampled differences above ~1000, else 96 for ~24–48.
        let (target, symbols) = d >= 1000 ? (96.0, 2 * sampleSymbols) : (48.0, sampleSymbols)
        var level = 0
        while level < 40 && d / Double(UInt64(1) << UInt64(level + 1)) >= target { level += 1 }
        return (level + 1, symbols)
    }

    static let sampleSymbols = 96

    /// A sketch the other side can peel with high probability for a difference measured to ~±15 %.
    static func decodable(estimate: Int) -> Int {
        let d = Double(max(1, estimate))
        return Int(min(Double(RatelessSketch.maxSymbols), (1.8 * d + 24).rounded(.up)))
    }

    /// The initiator's sketch, sized from the estimate its failed decoding gave (fairly
    /// accurate): it should peel at the responder the first time. At most one reply's worth:
    /// a bigger difference continues with the responder's symbols.
    static func initiatorSketch(estimate: Int) -> Int {
        let d = Double(max(1, estimate))
        return Int(min(Double(RatelessSketch.maxSymbolsPerReply), (2.0 * d + 16).rounded(.up)))
    }

    static func nextSketch(after current: Int) -> Int {
        min(RatelessSketch.maxSymbols, current * 2 + 16)
    }
}