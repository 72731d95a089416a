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
            let view = try WindowView(index: index, subject: open.subject)
            let mine = view.fingerprint
            if mine == open.fingerprint { return AlignmentMessage.inSync.encoded() }
            let ids = view.ids
            let lowerBound = Int(clamping: Int64(bitPattern: mine.count &- open.fingerprint.count).magnitude)
            let estimate = DifferenceEstimator(ids: ids).estimate(comparedWith: open.estimator, lowerBound: lowerBound)
            let symbols = SketchSizing.firstSketch(estimate: estimate)
            // Listing every entry is cheaper than a sketch when the window holds few entries
            // (a replica added late, an edge just booted): ~14 bytes an entry, 11 a symbol.
            if ids.count * 14 <= symbols * 11 {
                return AlignmentMessage.reply(.init(fingerprint: mine, symbolsFrom: 0, symbols: [],
                                                    entries: view.entries(ids), isFullListing: true)).encoded()
            }
            return AlignmentMessage.reply(.init(fingerprint: mine, symbolsFrom: 0,
                                                symbols: RatelessSketch.encode(ids, range: 0..<symbols),
                                                entries: [], isFullListing: false)).encoded()
        case .request(let request):
            let view = try WindowView(index: index, subject: request.subject)
            if request.listAll {
                return AlignmentMessage.reply(.init(fingerprint: view.fingerprint, symbolsFrom: 0, symbols: [],
                                                    entries: view.entries(view.ids), isFullListing: true)).encoded()
            }
            var entries: [AlignmentEntry] = []
            for id in request.wanted {
                if let e = index.entry(withID: AlignmentEntryID(rawValue: id)), view.contains(e) { entries.append(e) }
            }
            var symbols: [CodedSymbol] = []
            if request.symbolCount > 0 {
                // At most maxSymbolsPerReply (~1.4 MB) per answer: a query cannot make us build more.
                let n = min(request.symbolCount, RatelessSketch.maxSymbolsPerReply)
                symbols = RatelessSketch.encode(view.ids, range: request.symbolsFrom..<request.symbolsFrom + n)
            }
            return AlignmentMessage.reply(.init(fingerprint: nil, symbolsFrom: request.symbolsFrom, symbols: symbols,
                                                entries: entries, isFullListing: false)).encoded()
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
/// difference to peel (more for tiny differences); the first sketch is sized from a coarse
/// estimate, so it carries a margin, and a failed decode asks for as many again.
enum SketchSizing {
    static func firstSketch(estimate: Int) -> Int {
        let d = Double(max(1, estimate))
        return min(RatelessSketch.maxSymbols, Int((2.0 * d + 12).rounded(.up)))
    }

    static func nextSketch(after current: Int) -> Int {
        min(RatelessSketch.maxSymbols, current * 2 + 16)
    }
}
