import PetrelKeyExpr
import PetrelTime

/// The messages of one reconciliation (byte layouts in docs/alignment.md). The initiator
/// sends `open` then `request`s as query payloads; the responder answers each with
/// `inSync` or `reply`. Every query repeats the scope and window, so the responder keeps
/// no state between them.
enum AlignmentMessage: Equatable, Sendable {
    case open(Open)
    case request(Request)
    case sketch(Sketch)
    /// The window fingerprints are equal; echoes the query's turn.
    case inSync(turn: Int)
    case reply(Reply)

    /// What both query kinds carry: which set is compared.
    struct Subject: Equatable, Sendable {
        /// The query's number in its conversation (open = 0), echoed by the reply, so that a
        /// duplicated or late reply is not taken for the answer to a later query.
        var turn: Int
        var scope: KeyExpr
        var subIntervalMillis: UInt64
        var window: AlignmentWindow
    }

    struct Open: Equatable, Sendable {
        var subject: Subject
        /// The initiator's fingerprint of the window.
        var fingerprint: AlignmentFingerprint
        var estimator: DifferenceEstimator
    }

    struct Request: Equatable, Sendable {
        var subject: Subject
        /// IDs whose entries the initiator wants (it decoded them as the responder's only),
        /// their low 32 bits: the responder holds the full IDs (an ambiguous short ID costs an
        /// extra entry, which the initiator ignores).
        var wanted: [UInt32]
        /// Coded symbols wanted: `symbolsFrom ..< symbolsFrom + symbolCount` (count 0: none).
        var symbolsFrom: Int
        var symbolCount: Int
        /// Give up on sketches: list every entry of the window (the fallback after repeated
        /// decoding failures; never needed in practice).
        var listAll: Bool
        /// The symbols wanted are of the 2^-level sample (0: of every entry); see `Reply.sampleLevel`.
        var sampleLevel: Int = 0
    }

    /// The initiator's own coded symbols, for the responder to decode (after the
    /// responder's first sketch did not peel: the responder holds the entries, so decoding
    /// there saves the round trip that would fetch them).
    struct Sketch: Equatable, Sendable {
        var subject: Subject
        /// The initiator's fingerprint of the window (the responder verifies its decoding with it).
        var fingerprint: AlignmentFingerprint
        /// How many of the responder's symbols the initiator already holds: if this sketch
        /// does not peel either, the responder sends its symbols from there on.
        var responderSymbols: Int
        /// The initiator's symbols `0 ..< symbols.count`.
        var symbols: [CodedSymbol]
    }

    struct Reply: Equatable, Sendable {
        /// The turn of the query answered.
        var turn: Int
        /// The responder's fingerprint of the window (in the answer to `open`).
        var fingerprint: AlignmentFingerprint?
        var symbolsFrom: Int
        var symbols: [CodedSymbol]
        /// The symbols encode only the entries whose sampling hash has at least this many
        /// trailing zero bits (about 2^-level of them): a sample for estimating a large
        /// difference. 0: every entry.
        var sampleLevel: Int = 0
        var entries: [AlignmentEntry]
        /// `entries` is the whole window (the responder listed instead of sketching).
        var isFullListing: Bool
        /// Set when the responder decoded the initiator's sketch: `entries` are then all the
        /// responder's entries the initiator lacks, and these the initiator's IDs it lacks
        /// (low 32 bits: the initiator holds the full IDs).
        var initiatorOnly: [UInt32]? = nil
    }

    static let openTag: UInt8 = 0x21
    static let requestTag: UInt8 = 0x22
    static let sketchTag: UInt8 = 0x23
    static let inSyncTag: UInt8 = 0x31
    static let replyTag: UInt8 = 0x32

    static let maxScopeBytes = 4096
    static let maxTurn = 1 << 16
    static let maxKeyBytes = 65_535
}

// MARK: Encoding

extension AlignmentMessage {
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        switch self {
        case .open(let o):
            w.u8(Self.openTag)
            Self.write(o.subject, into: &w)
            w.zint(o.fingerprint.count)
            w.u64(o.fingerprint.sum)
            w.raw(o.estimator.bytes)
        case .request(let r):
            w.u8(Self.requestTag)
            Self.write(r.subject, into: &w)
            w.u8(r.listAll ? 1 : 0)
            w.zint(r.sampleLevel)
            w.zint(r.symbolsFrom)
            w.zint(r.symbolCount)
            w.zint(r.wanted.count)
            for id in r.wanted { w.u32(id) }
        case .sketch(let k):
            w.u8(Self.sketchTag)
            Self.write(k.subject, into: &w)
            w.zint(k.fingerprint.count)
            w.u64(k.fingerprint.sum)
            w.zint(k.responderSymbols)
            Self.write(k.symbols, into: &w)
        case .inSync(let turn):
            w.u8(Self.inSyncTag)
            w.zint(turn)
        case .reply(let r):
            w.u8(Self.replyTag)
            w.zint(r.turn)
            var flags: UInt8 = 0
            if r.fingerprint != nil { flags |= 1 }
            if !r.symbols.isEmpty { flags |= 2 }
            if !r.entries.isEmpty { flags |= 4 }
            if r.isFullListing { flags |= 8 }
            if r.initiatorOnly != nil { flags |= 16 }
            w.u8(flags)
            if let fp = r.fingerprint {
                w.zint(fp.count)
                w.u64(fp.sum)
            }
            if !r.symbols.isEmpty {
                w.zint(r.sampleLevel)
                w.zint(r.symbolsFrom)
                Self.write(r.symbols, into: &w)
            }
            if !r.entries.isEmpty { EntryListCodec.write(r.entries, into: &w) }
            if let ids = r.initiatorOnly {
                w.zint(ids.count)
                for id in ids { w.u32(id) }
            }
        }
        return w.bytes
    }

    private static func write(_ symbols: [CodedSymbol], into w: inout ByteWriter) {
        w.zint(symbols.count)
        for s in symbols {
            w.u64(s.idXor)
            w.u16(s.checkXor)
            w.szint(s.count)
        }
    }

    private static func readSymbols(_ r: inout ByteReader, from: Int) throws(AlignmentMessageError) -> [CodedSymbol] {
        let n = try r.count("symbol count", limit: min(RatelessSketch.maxSymbols - from, r.remaining / 11))
        guard n > 0 else { throw .invalid(field: "symbol count", offset: r.offset, reason: "no symbols") }
        var symbols: [CodedSymbol] = []
        symbols.reserveCapacity(n)
        for _ in 0..<n {
            let id = try r.u64("symbol ID sum")
            let check = try r.u16("symbol checksum")
            let count = try r.szint("symbol count")
            symbols.append(CodedSymbol(idXor: id, checkXor: check, count: count))
        }
        return symbols
    }

    private static func write(_ s: Subject, into w: inout ByteWriter) {
        w.zint(s.turn)
        w.string(s.scope.string)
        w.zint(s.subIntervalMillis)
        w.zint(s.window.from)
        w.zint(s.window.to - s.window.from)
    }
}

// MARK: Decoding

extension AlignmentMessage {
    /// Throws `AlignmentMessageError` on anything but one well-formed message.
    init(decoding bytes: [UInt8]) throws(AlignmentMessageError) {
        var r = ByteReader(bytes)
        let tag = try r.u8("message tag")
        switch tag {
        case Self.openTag:
            let subject = try Self.readSubject(&r)
            let count = try r.zint("fingerprint count")
            let sum = try r.u64("fingerprint sum")
            let est = try r.raw("estimator", count: DifferenceEstimator.strata)
            self = .open(Open(subject: subject, fingerprint: AlignmentFingerprint(count: count, sum: sum),
                              estimator: DifferenceEstimator(bytes: Array(est))))
        case Self.requestTag:
            let subject = try Self.readSubject(&r)
            let flagsAt = r.offset
            let flags = try r.u8("request flags")
            guard flags <= 1 else { throw .invalid(field: "request flags", offset: flagsAt, reason: "unknown flags \(flags)") }
            let level = try r.count("sample level", limit: 63)
            let from = try r.count("symbols from", limit: RatelessSketch.maxSymbols)
            let n = try r.count("symbol count", limit: RatelessSketch.maxSymbols - from)
            let wantedCount = try r.count("wanted count", limit: r.remaining / 4)
            var wanted: [UInt32] = []
            wanted.reserveCapacity(wantedCount)
            for _ in 0..<wantedCount { wanted.append(try r.u32("wanted ID")) }
            self = .request(Request(subject: subject, wanted: wanted, symbolsFrom: from, symbolCount: n,
                                    listAll: flags & 1 != 0, sampleLevel: level))
        case Self.sketchTag:
            let subject = try Self.readSubject(&r)
            let count = try r.zint("fingerprint count")
            let sum = try r.u64("fingerprint sum")
            let responderSymbols = try r.count("responder symbols", limit: RatelessSketch.maxSymbols)
            let symbols = try Self.readSymbols(&r, from: 0)
            self = .sketch(Sketch(subject: subject, fingerprint: AlignmentFingerprint(count: count, sum: sum),
                                  responderSymbols: responderSymbols, symbols: symbols))
        case Self.inSyncTag:
            self = .inSync(turn: try r.count("turn", limit: Self.maxTurn))
        case Self.replyTag:
            let turn = try r.count("turn", limit: Self.maxTurn)
            let flagsAt = r.offset
            let flags = try r.u8("reply flags")
            guard flags & ~0x1F == 0 else { throw .invalid(field: "reply flags", offset: flagsAt, reason: "unknown flags \(flags)") }
            var fp: AlignmentFingerprint?
            if flags & 1 != 0 {
                let c = try r.zint("fingerprint count")
                fp = AlignmentFingerprint(count: c, sum: try r.u64("fingerprint sum"))
            }
            var from = 0
            var symbols: [CodedSymbol] = []
            var level = 0
            if flags & 2 != 0 {
                level = try r.count("sample level", limit: 63)
                from = try r.count("symbols from", limit: RatelessSketch.maxSymbols)
                symbols = try Self.readSymbols(&r, from: from)
            }
            var entries: [AlignmentEntry] = []
            if flags & 4 != 0 {
                entries = try EntryListCodec.read(&r)
                guard !entries.isEmpty else { throw .invalid(field: "entry count", offset: r.offset, reason: "0 with the entries flag set") }
            }
            var initiatorOnly: [UInt32]?
            if flags & 16 != 0 {
                let n = try r.count("initiator-only count", limit: r.remaining / 4)
                var ids: [UInt32] = []
                ids.reserveCapacity(n)
                for _ in 0..<n { ids.append(try r.u32("initiator-only ID")) }
                initiatorOnly = ids
            }
            self = .reply(Reply(turn: turn, fingerprint: fp, symbolsFrom: from, symbols: symbols, sampleLevel: level, entries: entries,
                                isFullListing: flags & 8 != 0, initiatorOnly: initiatorOnly))
        default:
            throw .invalid(field: "message tag", offset: 0, reason: "0x\(String(tag, radix: 16)) is no alignment message")
        }
        try r.expectEnd()
    }

    private static func readSubject(_ r: inout ByteReader) throws(AlignmentMessageError) -> Subject {
        let turn = try r.count("turn", limit: maxTurn)
        let at = r.offset
        let text = try r.string("scope", limit: maxScopeBytes)
        let scope: KeyExpr
        do { scope = try KeyExpr(text) } catch {
            throw .invalid(field: "scope", offset: at, reason: "\(error)")
        }
        let millis = try r.zint("subIntervalMillis")
        let from = try r.zint("window start")
        let lengthAt = r.offset
        let length = try r.zint("window length")
        let (to, overflow) = from.addingReportingOverflow(length)
        guard !overflow else { throw .invalid(field: "window length", offset: lengthAt, reason: "window ends past 2^64") }
        return Subject(turn: turn, scope: scope, subIntervalMillis: millis, window: AlignmentWindow(from: from, to: to))
    }
}

/// Entries as the responder lists them: sorted by key, each key sharing a prefix with the
/// previous one; clock IDs in a table, times relative to the smallest.
enum EntryListCodec {
    static func write(_ entries: [AlignmentEntry], into w: inout ByteWriter) {
        let sorted = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let base = sorted.map(\.timestamp.time.rawValue).min() ?? 0
        var clocks: [ZenohID] = []
        var clockIndex: [ZenohID: Int] = [:]
        for e in sorted where clockIndex[e.timestamp.id] == nil {
            clockIndex[e.timestamp.id] = clocks.count
            clocks.append(e.timestamp.id)
        }
        w.zint(base)
        w.zint(clocks.count)
        for c in clocks {
            w.u8(UInt8(c.wireLength))
            w.raw(c.wireBytes)
        }
        w.zint(sorted.count)
        var previous: [UInt8] = []
        for e in sorted {
            let key = Array(e.key.utf8)
            var shared = 0
            while shared < min(key.count, previous.count) && key[shared] == previous[shared] { shared += 1 }
            w.zint(shared)
            w.zint(key.count - shared)
            w.raw(key[shared...])
            w.zint(UInt64(clockIndex[e.timestamp.id]!) << 1 | (e.isTombstone ? 1 : 0))
            w.zint(e.timestamp.time.rawValue &- base)
            previous = key
        }
    }

    static func read(_ r: inout ByteReader) throws(AlignmentMessageError) -> [AlignmentEntry] {
        let base = try r.zint("time base")
        let clockCount = try r.count("clock count", limit: min(65_536, r.remaining / 2))
        var clocks: [ZenohID] = []
        for _ in 0..<clockCount {
            let at = r.offset
            let n = Int(try r.u8("clock ID length"))
            let b = try r.raw("clock ID", count: n)
            guard let id = ZenohID(wireBytes: b) else {
                throw .invalid(field: "clock ID", offset: at, reason: "not a Zenoh ID (1…16 bytes, not zero)")
            }
            clocks.append(id)
        }
        let n = try r.count("entry count", limit: r.remaining / 4)
        var entries: [AlignmentEntry] = []
        entries.reserveCapacity(n)
        var previous: [UInt8] = []
        for _ in 0..<n {
            let at = r.offset
            let shared = try r.count("shared key prefix", limit: previous.count)
            let suffixLength = try r.count("key suffix length", limit: AlignmentMessage.maxKeyBytes - shared)
            let suffix = try r.raw("key suffix", count: suffixLength)
            let key = Array(previous[..<shared]) + suffix
            guard let text = String(validating: key, as: UTF8.self), !text.isEmpty else {
                throw .invalid(field: "key", offset: at, reason: "empty or not UTF-8")
            }
            let clockAt = r.offset
            let clockAndFlag = try r.zint("clock index")
            guard clockAndFlag >> 1 < UInt64(clocks.count) else {
                throw .invalid(field: "clock index", offset: clockAt, reason: "\(clockAndFlag >> 1) is outside the table of \(clocks.count)")
            }
            let time = try r.zint("time")
            entries.append(AlignmentEntry(
                key: text, timestamp: Timestamp(time: NTP64(rawValue: base &+ time), id: clocks[Int(clockAndFlag >> 1)]),
                isTombstone: clockAndFlag & 1 != 0))
            previous = key
        }
        return entries
    }
}

/// Reads what a query is about, so the integration can pick the index to answer with.
public enum AlignmentMessageInfo {
    /// The scope a query (an `open` or `request`) compares. Throws `AlignmentMessageError`
    /// for bytes that are not a well-formed query.
    public static func scope(of query: [UInt8]) throws -> KeyExpr {
        switch try AlignmentMessage(decoding: query) {
        case .open(let o): return o.subject.scope
        case .request(let r): return r.subject.scope
        case .sketch(let k): return k.subject.scope
        case .inSync, .reply:
            throw AlignmentMessageError.invalid(field: "message tag", offset: 0, reason: "a reply, not a query")
        }
    }

    /// The window (sub-intervals) a query compares.
    public static func window(of query: [UInt8]) throws -> AlignmentWindow {
        switch try AlignmentMessage(decoding: query) {
        case .open(let o): return o.subject.window
        case .request(let r): return r.subject.window
        case .sketch(let k): return k.subject.window
        case .inSync, .reply:
            throw AlignmentMessageError.invalid(field: "message tag", offset: 0, reason: "a reply, not a query")
        }
    }
}

/// The compact list of entries the responder sends (prefix-compressed keys, a table of
/// clock IDs, relative times), for anything else that ships entry metadata: an aligner's
/// entries answer, a benchmark's naive scheme.
public enum AlignmentEntryList {
    public static func encode(_ entries: [AlignmentEntry]) -> [UInt8] {
        var w = ByteWriter(capacity: 16 + entries.count * 16)
        EntryListCodec.write(entries, into: &w)
        return w.bytes
    }

    /// Throws `AlignmentMessageError` on anything but one well-formed list.
    public static func decode(_ bytes: [UInt8]) throws -> [AlignmentEntry] {
        var r = ByteReader(bytes)
        let entries = try EntryListCodec.read(&r)
        try r.expectEnd()
        return entries
    }
}
