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
    private let index: AlignmentIndex
    private let view: WindowView
    private var state: State = .idle
    private var decoder: SketchDecoder
    private var peerFingerprint = AlignmentFingerprint()
    /// The peer's entries received so far, by ID.
    private var received: [UInt64: AlignmentEntry] = [:]
    /// Queries sent that carried symbol requests (bounds the retries before listing everything).
    private var sketchRounds = 0

    /// Round trips, bytes sent and received so far (for logs and benchmarks).
    public private(set) var stats = AlignmentStats()

    private enum State: Sendable { case idle, opened, requested, done }

    public init(index: AlignmentIndex, peerScope: KeyExpr, now: NTP64, eras: Set<AlignmentEra>) {
        self.init(index: index, peerScope: peerScope, window: index.layout.window(eras: eras, now: now))
    }

    /// A reconciliation over an explicit window of sub-intervals.
    public init(index: AlignmentIndex, peerScope: KeyExpr, window: AlignmentWindow) {
        self.index = index
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
        view = WindowView(index: index, window: window, narrowedTo: narrowed)
        decoder = SketchDecoder(ours: Set(view.ids))
    }

    private var subject: AlignmentMessage.Subject {
        .init(scope: scope, subIntervalMillis: index.layout.subIntervalMillis, window: window)
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
        case (.opened, .inSync):
            state = .done
            return .done(AlignmentDifference())
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
        if r.isFullListing {
            return .done(finishFromListing(r.entries))
        }
        for e in r.entries { received[e.id.rawValue] = e }
        if !r.symbols.isEmpty {
            guard r.symbolsFrom == decoder.symbolCount else {
                throw AlignmentProtocolError.unexpectedReply("symbols from \(r.symbolsFrom), expected \(decoder.symbolCount)")
            }
            let range = r.symbolsFrom..<r.symbolsFrom + r.symbols.count
            decoder.extend(ours: RatelessSketch.encode(view.ids, range: range), theirs: r.symbols)
        }
        let complete = decoder.isComplete && verifies()
        let missing = decoder.theirsOnly.filter { received[$0] == nil }
        if complete && missing.isEmpty { return .done(finish()) }
        if !complete && (sketchRounds >= 4 || decoder.symbolCount >= RatelessSketch.maxSymbols) {
            return send(.request(.init(subject: subject, wanted: [], symbolsFrom: 0, symbolCount: 0, listAll: true)))
        }
        var request = AlignmentMessage.Request(subject: subject, wanted: missing, symbolsFrom: 0, symbolCount: 0, listAll: false)
        if !complete {
            sketchRounds += 1
            request.symbolsFrom = decoder.symbolCount
            request.symbolCount = SketchSizing.nextSketch(after: decoder.symbolCount) - decoder.symbolCount
        } else if r.entries.isEmpty && r.symbols.isEmpty && !missing.isEmpty && state == .requested {
            // Asked for entries and got none back: the peer no longer has them (it moved on).
            return .done(finish())
        }
        return send(.request(request))
    }

    private mutating func send(_ message: AlignmentMessage) -> AlignmentStep {
        state = .requested
        let bytes = message.encoded()
        stats.bytesSent += bytes.count
        return .send(bytes)
    }

    /// The decoded difference agrees with the peer's fingerprint: theirs = ours − ours-only + theirs-only.
    private func verifies() -> Bool {
        var fp = view.fingerprint
        for id in decoder.oursOnly { fp.remove(AlignmentEntryID(rawValue: id)) }
        for id in decoder.theirsOnly { fp.insert(AlignmentEntryID(rawValue: id)) }
        return fp == peerFingerprint
    }

    private mutating func finish() -> AlignmentDifference {
        state = .done
        let theirs = decoder.theirsOnly.compactMap { received[$0] }
        let ours = decoder.oursOnly.compactMap { index.entry(withID: AlignmentEntryID(rawValue: $0)) }
        return Self.resolve(ours: ours, theirs: theirs, index: index)
    }

    private mutating func finishFromListing(_ listed: [AlignmentEntry]) -> AlignmentDifference {
        state = .done
        let theirIDs = Set(listed.map(\.id.rawValue))
        let ourIDs = Set(view.ids)
        let theirs = listed.filter { !ourIDs.contains($0.id.rawValue) }
        let ours = view.ids.filter { !theirIDs.contains($0) }.compactMap { index.entry(withID: AlignmentEntryID(rawValue: $0)) }
        return Self.resolve(ours: ours, theirs: theirs, index: index)
    }

    /// Last writer wins on both sides: fetch what is newer than our latest for its key; send
    /// ours unless the peer showed a newer entry for the same key.
    static func resolve(ours: [AlignmentEntry], theirs: [AlignmentEntry], index: AlignmentIndex) -> AlignmentDifference {
        var newestTheirs: [String: AlignmentEntry] = [:]
        for e in theirs where newestTheirs[e.key].map({ e.supersedes($0) }) ?? true { newestTheirs[e.key] = e }
        let toFetch = newestTheirs.values.filter { e in
            guard let mine = index.latest(forKey: e.key) else { return true }
            return e.supersedes(mine)
        }
        let toSend = ours.filter { e in
            guard let t = newestTheirs[e.key] else { return true }
            return e.supersedes(t)
        }
        return AlignmentDifference(toFetch: toFetch.sorted { $0.key < $1.key }, toSend: toSend.sorted { $0.key < $1.key })
    }
}

/// Counters of one reconciliation.
public struct AlignmentStats: Sendable, Equatable {
    public var roundTrips = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var totalBytes: Int { bytesSent + bytesReceived }
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
        case .inSync: return "in-sync"
        case .reply: return "reply"
        }
    }
}
