import PetrelKeyExpr
import PetrelTime

/// What each side must do once reconciliation has ended.
public struct AlignmentDifference: Sendable, Equatable {
    /// Entries the peer has newer / that we lack: fetch their samples.
    public var toFetch: [AlignmentEntry]
    /// Entries we have that the peer lacks / has older: push our samples.
    public var toSend: [AlignmentEntry]

    public init(toFetch: [AlignmentEntry] = [], toSend: [AlignmentEntry] = []) {
        self.toFetch = toFetch
        self.toSend = toSend
    }

    public var isEmpty: Bool { toFetch.isEmpty && toSend.isEmpty }
}

/// The next move of the initiator after a reply.
public enum AlignmentStep: Sendable {
    /// Send these bytes as the next query payload and pass the reply to `receive`.
    case send([UInt8])
    /// Reconciliation has ended.
    case done(AlignmentDifference)
}

/// The initiator's side of one reconciliation over `eras` (an edge passes the hot era only)
/// and over the intersection of both sides' scopes. It holds the decoding state; after a lost
/// or garbled message, throw it away and start a new one (the responder keeps nothing).
public struct AlignmentInitiator: Sendable {
    /// The scope compared: the narrower of this index's scope and the peer's (one must
    /// include the other; otherwise the index's own scope, and the peer refuses).
    public let scope: KeyExpr
    public let window: AlignmentWindow
    /// What the reconciliation needs of the index, copied at the start: the index itself is
    /// not kept, so the owner's next change to it does not copy it (copy-on-write).
    private let view: WindowSnapshot
    private let subIntervalMillis: UInt64
    private var state: State = .idle
    private var decoder: SketchDecoder
    private var peerFingerprint = AlignmentFingerprint()
    /// The peer's entries received so far, by ID.
    private var received: [UInt64: AlignmentEntry] = [:]
    /// Queries sent that carried symbol requests (bounds the retries before listing everything).
    private var sketchRounds = 0
    /// Whether our own sketch went to the responder already (once per reconciliation).
    private var sentSketch = false
    /// The number of the query outstanding (open = 0).
    private var turn = 0
    /// Samples asked for again at a higher level (a saturated first sample).
    private var resamples = 0

    /// Round trips, bytes sent and received so far (for logs and benchmarks).
    public private(set) var stats = AlignmentStats()

    private enum State: Sendable { case idle, opened, requested, done }

    public init(index: AlignmentIndex, peerScope: KeyExpr, now: NTP64, eras: Set<AlignmentEra>) {
        self.init(index: index, peerScope: peerScope, window: index.layout.window(eras: eras, now: now))
    }

    /// A reconciliation over an explicit window of sub-intervals.
    public init(index: AlignmentIndex, peerScope: KeyExpr, window: AlignmentWindow) {
        subIntervalMillis = index.layout.subIntervalMillis
        self.window = window
        let narrowed: KeyExpr?
        if peerScope == index.scope || peerScope.includes(index.scope) {
            scope = index.scope
            narrowed = nil
        } else if index.scope.includes(peerScope) {
            scope = peerScope
            narrowed = peerScope
        } else {
            scope = index.scope
            narrowed = nil
        }
        view = WindowSnapshot(WindowView(index: index, window: window, narrowedTo: narrowed))
        decoder = SketchDecoder(ours: Set(view.ids))
    }

    private var subject: AlignmentMessage.Subject {
        .init(turn: turn, scope: scope, subIntervalMillis: subIntervalMillis, window: window)
    }

    /// The first query payload: the window, our fingerprint of it, a 16-byte difference
    /// estimator (35–60 bytes; an in-sync peer answers with 1 byte).
    public mutating func firstMessage() -> [UInt8] {
        state = .opened
        let bytes = AlignmentMessage.open(.init(subject: subject, fingerprint: view.fingerprint,
                                                estimator: DifferenceEstimator(ids: view.ids))).encoded()
        stats.bytesSent += bytes.count
        return bytes
    }

    /// Takes one reply payload. Throws `AlignmentMessageError` for malformed bytes and
    /// `AlignmentProtocolError` for a reply that does not fit the conversation (a duplicate,
    /// one meant for another query): start a new reconciliation then.
    public mutating func receive(_ reply: [UInt8]) throws -> AlignmentStep {
        stats.bytesReceived += reply.count
        stats.roundTrips += 1
        let message = try AlignmentMessage(decoding: reply)
        switch (state, message) {
        case (.opened, .inSync(let t)) where t == turn:
            state = .done
            return .done(AlignmentDifference())
        case (_, .reply(let r)) where r.turn != turn:
            throw AlignmentProtocolError.unexpectedReply("a reply to query \(r.turn) while query \(turn) is outstanding")
        case (.opened, .reply(let r)):
            guard let fp = r.fingerprint else { throw AlignmentProtocolError.unexpectedReply("the first reply has no fingerprint") }
            peerFingerprint = fp
            return try absorb(r)
        case (.requested, .reply(let r)):
            return try absorb(r)
        default:
            throw AlignmentProtocolError.unexpectedReply("\(message.kindName) while \(state)")
        }
    }

    private mutating func absorb(_ r: AlignmentMessage.Reply) throws -> AlignmentStep {
        stats.symbolsReceived += r.symbols.count
        if r.isFullListing { return .done(finishFromListing(r.entries)) }
        if let initiatorOnly = r.initiatorOnly { return finishFromResponderDecoding(theirs: r.entries, ours: initiatorOnly) }
        for e in r.entries { received[e.id.rawValue] = e }
        if r.sampleLevel > 0 && !r.symbols.isEmpty && !sentSketch && decoder.symbolCount == 0 {
            // A sketch of a sample: measure the difference, send our whole sketch of that size.
            let sample = RatelessSketch.sample(view.ids, level: r.sampleLevel)
            var sampleDecoder = SketchDecoder(ours: Set(sample))
            sampleDecoder.extend(ours: RatelessSketch.encode(sample, range: 0..<r.symbols.count), theirs: r.symbols)
            let recovered = sampleDecoder.oursOnly.count + sampleDecoder.theirsOnly.count
            if !sampleDecoder.isComplete && sampleDecoder.isSaturated && r.sampleLevel < 40 && resamples < 2 {
                // The sample holds far more differences than its symbols can measure (the
                // 16-byte estimate was badly low): ask for a sample 16 times smaller.
                resamples += 1
                return send(.request(.init(subject: nextSubject(), wanted: [], symbolsFrom: 0, symbolCount: SketchSizing.sampleSymbols,
                                           listAll: false, sampleLevel: min(40, r.sampleLevel + 4))))
            }
            sentSketch = true
            let inSample = sampleDecoder.isComplete ? Double(recovered) : Double(sampleDecoder.estimateDifference(atLeast: recovered + 1))
            // Half a standard deviation up: a sketch a little too big costs bytes, one too
            // small a round trip.
            let scaled = (max(inSample, 0.5) + 0.5 * inSample.squareRoot()) * Double(UInt64(1) << UInt64(min(r.sampleLevel, 40)))
            let estimate = min(max(Int(min(scaled, 1e12)), countGap), plausibleDifference)
            stats.estimatedDifference = estimate
            return sendOurSketch(estimate: estimate)
        }
        if !r.symbols.isEmpty {
            guard r.symbolsFrom == decoder.symbolCount else {
                throw AlignmentProtocolError.unexpectedReply("symbols from \(r.symbolsFrom), expected \(decoder.symbolCount)")
            }
            let range = r.symbolsFrom..<r.symbolsFrom + r.symbols.count
            decoder.extend(ours: RatelessSketch.encode(view.ids, range: range), theirs: r.symbols)
        }
        let complete = decoder.isComplete && decoder.verifies(ours: view.fingerprint, theirs: peerFingerprint)
        let missing = decoder.theirsOnly.filter { received[$0] == nil }
        if complete {
            if missing.isEmpty { return .done(finish()) }
            // Asked for entries and got none back: the peer no longer has them (it moved on).
            if state == .requested && r.entries.isEmpty && r.symbols.isEmpty { return .done(finish()) }
            return send(.request(.init(subject: nextSubject(), wanted: missing.map(Self.short), symbolsFrom: 0, symbolCount: 0, listAll: false)))
        }
        if !sentSketch {
            // The responder's sketch was too small for the difference. Its empty symbols tell
            // how big the difference is; send our own sketch of that size: the responder, which
            // holds its entries, decodes it and answers with them — no round trip to fetch them.
            sentSketch = true
            let recovered = decoder.oursOnly.count + decoder.theirsOnly.count
            // A saturated sketch only says "larger than it could hold": guess twice its size
            // (if that is still too small, the responder measures on our bigger sketch).
            let measured = decoder.isSaturated ? 2 * decoder.symbolCount : decoder.estimateDifference(atLeast: recovered + 1)
            let estimate = min(max(measured, recovered + 1, countGap), plausibleDifference)
            stats.estimatedDifference = estimate
            let m = SketchSizing.initiatorSketch(estimate: estimate)
            if m * 11 <= peerListingBytes { return sendOurSketch(estimate: estimate) }
        }
        if sketchRounds >= 4 || decoder.symbolCount >= RatelessSketch.maxSymbols
            || SketchSizing.nextSketch(after: decoder.symbolCount) * 11 > peerListingBytes {
            // Listing the peer's window is cheaper than more symbols, or decoding keeps failing.
            return send(.request(.init(subject: nextSubject(), wanted: [], symbolsFrom: 0, symbolCount: 0, listAll: true)))
        }
        sketchRounds += 1
        return send(.request(.init(subject: nextSubject(), wanted: missing.map(Self.short), symbolsFrom: decoder.symbolCount,
                                   symbolCount: SketchSizing.nextSketch(after: decoder.symbolCount) - decoder.symbolCount,
                                   listAll: false)))
    }

    /// No difference is larger than both windows together.
    private var plausibleDifference: Int { view.ids.count + Int(min(peerFingerprint.count, 1 << 40)) }

    private var countGap: Int {
        Int(clamping: Int64(bitPattern: view.fingerprint.count &- peerFingerprint.count).magnitude)
    }

    private mutating func sendOurSketch(estimate: Int) -> AlignmentStep {
        let m = SketchSizing.initiatorSketch(estimate: estimate)
        stats.symbolsSent += m
        return send(.sketch(.init(subject: nextSubject(), fingerprint: view.fingerprint, responderSymbols: decoder.symbolCount,
                                  symbols: RatelessSketch.encode(view.ids, range: 0..<m))))
    }

    static func short(_ id: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: id) }

    /// About what listing the responder's window would cost (~14 bytes an entry).
    private var peerListingBytes: Int { Int(min(peerFingerprint.count, 1 << 40)) * 14 + 64 }

    /// The responder decoded our sketch: `theirs` are all its entries we lack, `ours` the IDs of
    /// ours it lacks. Checked against both fingerprints; a mismatch falls back to a listing.
    private mutating func finishFromResponderDecoding(theirs: [AlignmentEntry], ours shortIDs: [UInt32]) -> AlignmentStep {
        var byShort: [UInt32: UInt64] = [:]
        for id in view.ids { byShort[Self.short(id)] = id }
        let ours = shortIDs.compactMap { byShort[$0] }
        var fp = view.fingerprint
        for id in ours { fp.remove(AlignmentEntryID(rawValue: id)) }
        for e in theirs { fp.insert(e.id) }
        // An unknown short ID, or two of ours sharing one (~n²/2^33), or a wrong decoding:
        // the fingerprints disagree; fall back to a listing.
        guard fp == peerFingerprint, ours.count == shortIDs.count else {
            return send(.request(.init(subject: nextSubject(), wanted: [], symbolsFrom: 0, symbolCount: 0, listAll: true)))
        }
        state = .done
        let oursEntries = ours.compactMap { view.byID[$0] }
        return .done(Self.resolve(ours: oursEntries, theirs: theirs, mine: view.byKey))
    }

    /// The subject of the next query (a new turn).
    private mutating func nextSubject() -> AlignmentMessage.Subject {
        turn += 1
        return subject
    }

    private mutating func send(_ message: AlignmentMessage) -> AlignmentStep {
        state = .requested
        let bytes = message.encoded()
        stats.bytesSent += bytes.count
        return .send(bytes)
    }

    private mutating func finish() -> AlignmentDifference {
        state = .done
        let theirs = decoder.theirsOnly.compactMap { received[$0] }
        let ours = decoder.oursOnly.compactMap { view.byID[$0] }
        return Self.resolve(ours: ours, theirs: theirs, mine: view.byKey)
    }

    private mutating func finishFromListing(_ listed: [AlignmentEntry]) -> AlignmentDifference {
        state = .done
        let theirIDs = Set(listed.map(\.id.rawValue))
        let ourIDs = Set(view.ids)
        let theirs = listed.filter { !ourIDs.contains($0.id.rawValue) }
        let ours = view.ids.filter { !theirIDs.contains($0) }.compactMap { view.byID[$0] }
        return Self.resolve(ours: ours, theirs: theirs, mine: view.byKey)
    }

    /// Last writer wins on both sides: fetch what is newer than our latest for its key in the
    /// window; send ours unless the peer showed a newer entry for the same key. (Our latest
    /// for a key may lie outside the window: then fetching is harmless, applying it is stale.)
    static func resolve(ours: [AlignmentEntry], theirs: [AlignmentEntry], mine: [String: AlignmentEntry]) -> AlignmentDifference {
        var newestTheirs: [String: AlignmentEntry] = [:]
        for e in theirs where newestTheirs[e.key].map({ e.supersedes($0) }) ?? true { newestTheirs[e.key] = e }
        let toFetch = newestTheirs.values.filter { e in
            guard let mine = mine[e.key] else { return true }
            return e.supersedes(mine)
        }
        let toSend = ours.filter { e in
            guard let t = newestTheirs[e.key] else { return true }
            return e.supersedes(t)
        }
        return AlignmentDifference(toFetch: toFetch.sorted { $0.key < $1.key }, toSend: toSend.sorted { $0.key < $1.key })
    }
}

/// The compared entries of our index, as they were when the reconciliation started.
struct WindowSnapshot: Sendable {
    let ids: [UInt64]
    let fingerprint: AlignmentFingerprint
    let byID: [UInt64: AlignmentEntry]
    let byKey: [String: AlignmentEntry]

    init(_ view: WindowView) {
        ids = view.ids
        fingerprint = view.fingerprint
        var byID: [UInt64: AlignmentEntry] = [:], byKey: [String: AlignmentEntry] = [:]
        byID.reserveCapacity(ids.count)
        byKey.reserveCapacity(ids.count)
        for id in ids {
            if let e = view.index.entry(withID: AlignmentEntryID(rawValue: id)) {
                byID[id] = e
                byKey[e.key] = e
            }
        }
        self.byID = byID
        self.byKey = byKey
    }
}

/// Counters of one reconciliation.
public struct AlignmentStats: Sendable, Equatable {
    public var roundTrips = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var totalBytes: Int { bytesSent + bytesReceived }
    /// Coded symbols received from and sent to the responder.
    public var symbolsReceived = 0
    public var symbolsSent = 0
    /// The initiator's estimate of the difference, when it had to make one (0 otherwise).
    public var estimatedDifference = 0
}

/// A reply that does not belong to the conversation.
public enum AlignmentProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case unexpectedReply(String)
    public var description: String {
        switch self {
        case .unexpectedReply(let why): return "unexpected alignment reply: \(why)"
        }
    }
}

extension AlignmentMessage {
    var kindName: String {
        switch self {
        case .open: return "open"
        case .request: return "request"
        case .sketch: return "sketch"
        case .inSync: return "in-sync"
        case .reply: return "reply"
        }
    }
}
