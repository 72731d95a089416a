import PetrelTime

/// PUT (§10.1): a value for a key, inside a PUSH or a REPLY.
public struct Put: Equatable, Sendable {
    public static let id: UInt8 = 0x01
    static let flagT: UInt8 = 0x20
    static let flagE: UInt8 = 0x40

    public var timestamp: Timestamp?
    public var encoding: Encoding
    public var attachment: ZBytes?
    public var payload: ZBytes
    /// Extensions a sample rarely carries, out of line (see `Push`).
    private var rare: Rare?

    public var sourceInfo: SourceInfo? {
        get { rare?.sourceInfo }
        set { rare = Rare.make(sourceInfo: newValue, isSharedMemory: isSharedMemory, unknownExtensions: unknownExtensions) }
    }
    /// Ext `12` (mandatory unit): the payload is a shared-memory handle. Never
    /// sent by Petrel; a receiver that sees it cannot read the payload.
    public var isSharedMemory: Bool {
        get { rare?.isSharedMemory ?? false }
        set { rare = Rare.make(sourceInfo: sourceInfo, isSharedMemory: newValue, unknownExtensions: unknownExtensions) }
    }
    public var unknownExtensions: [ZExtension] {
        get { rare?.unknownExtensions ?? [] }
        set { rare = Rare.make(sourceInfo: sourceInfo, isSharedMemory: isSharedMemory, unknownExtensions: newValue) }
    }

    /// Immutable: a change makes a new one, so copies stay independent.
    private final class Rare: Sendable {
        let sourceInfo: SourceInfo?
        let isSharedMemory: Bool
        let unknownExtensions: [ZExtension]

        private init(sourceInfo: SourceInfo?, isSharedMemory: Bool, unknownExtensions: [ZExtension]) {
            self.sourceInfo = sourceInfo
            self.isSharedMemory = isSharedMemory
            self.unknownExtensions = unknownExtensions
        }

        static func make(sourceInfo: SourceInfo?, isSharedMemory: Bool, unknownExtensions: [ZExtension]) -> Rare? {
            if sourceInfo == nil && !isSharedMemory && unknownExtensions.isEmpty { return nil }
            return Rare(sourceInfo: sourceInfo, isSharedMemory: isSharedMemory, unknownExtensions: unknownExtensions)
        }
    }

    public init(payload: ZBytes, encoding: Encoding = .zenohBytes, timestamp: Timestamp? = nil,
                sourceInfo: SourceInfo? = nil, attachment: ZBytes? = nil,
                isSharedMemory: Bool = false, unknownExtensions: [ZExtension] = []) {
        self.payload = payload
        self.encoding = encoding
        self.timestamp = timestamp
        self.attachment = attachment
        self.rare = Rare.make(sourceInfo: sourceInfo, isSharedMemory: isSharedMemory, unknownExtensions: unknownExtensions)
    }

    public static func == (a: Put, b: Put) -> Bool {
        a.payload == b.payload && a.encoding == b.encoding && a.timestamp == b.timestamp && a.attachment == b.attachment
            && a.sourceInfo == b.sourceInfo && a.isSharedMemory == b.isSharedMemory && a.unknownExtensions == b.unknownExtensions
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if timestamp != nil { header |= Self.flagT }
        if !encoding.isDefault { header |= Self.flagE }
        var exts = try w.writeHeader(header)
        if let timestamp { try w.writeTimestamp(timestamp) }
        if !encoding.isDefault { try w.writeEncoding(encoding) }
        if let sourceInfo { try exts.write(PutExtension.sourceInfo, sourceInfo, into: &w) }
        if isSharedMemory { try exts.write(PutExtension.shm, into: &w) }
        if let attachment { try exts.write(PutExtension.attachment, attachment, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try w.writeSlice(payload)
    }

    /// Decodes the body after `header` (already read).
    
    // Inlined into the batch reader so a sample is built where it ends up
    // instead of being copied through each level.
    @inline(__always)
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Put {
        // Locals first, one struct at the end (see `Push.decode`).
        var timestamp: Timestamp?
        var encoding = Encoding.zenohBytes
        var sourceInfo: SourceInfo?
        var isSharedMemory = false
        var attachment: ZBytes?
        var unknown: [ZExtension] = []
        if header & flagT != 0 { timestamp = try r.readTimestamp("PUT.timestamp") }
        if header & flagE != 0 { encoding = try r.readEncoding("PUT.encoding") }
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("PUT.extension")
            more = e.more
            switch e.key {
            case PutExtension.sourceInfo: sourceInfo = try SourceInfo.decodeBody(e.bytes)
            case PutExtension.shm: isSharedMemory = true
            case PutExtension.attachment: attachment = e.bytes
            default: try WireReader.unknownExtension(e, "PUT", into: &unknown)
            }
        }
        let payload = try r.readSlice("PUT.payload")
        return Put(payload: payload, encoding: encoding, timestamp: timestamp, sourceInfo: sourceInfo, attachment: attachment,
                   isSharedMemory: isSharedMemory, unknownExtensions: unknown)
    }
}

/// DEL (§10.2): removal of a key. Note its attachment ext id is 2, not 3 as in PUT.
public struct Del: Equatable, Sendable {
    public static let id: UInt8 = 0x02
    static let flagT: UInt8 = 0x20

    public var timestamp: Timestamp?
    public var attachment: ZBytes?
    private var rare: Rare?

    public var sourceInfo: SourceInfo? {
        get { rare?.sourceInfo }
        set { rare = Rare.make(sourceInfo: newValue, unknownExtensions: unknownExtensions) }
    }
    public var unknownExtensions: [ZExtension] {
        get { rare?.unknownExtensions ?? [] }
        set { rare = Rare.make(sourceInfo: sourceInfo, unknownExtensions: newValue) }
    }

    /// Out of line and immutable, as in `Put`.
    private final class Rare: Sendable {
        let sourceInfo: SourceInfo?
        let unknownExtensions: [ZExtension]

        private init(sourceInfo: SourceInfo?, unknownExtensions: [ZExtension]) {
            self.sourceInfo = sourceInfo
            self.unknownExtensions = unknownExtensions
        }

        static func make(sourceInfo: SourceInfo?, unknownExtensions: [ZExtension]) -> Rare? {
            if sourceInfo == nil && unknownExtensions.isEmpty { return nil }
            return Rare(sourceInfo: sourceInfo, unknownExtensions: unknownExtensions)
        }
    }

    public init(timestamp: Timestamp? = nil, sourceInfo: SourceInfo? = nil, attachment: ZBytes? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.timestamp = timestamp
        self.attachment = attachment
        self.rare = Rare.make(sourceInfo: sourceInfo, unknownExtensions: unknownExtensions)
    }

    public static func == (a: Del, b: Del) -> Bool {
        a.timestamp == b.timestamp && a.attachment == b.attachment && a.sourceInfo == b.sourceInfo
            && a.unknownExtensions == b.unknownExtensions
    }

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if timestamp != nil { header |= Self.flagT }
        var exts = try w.writeHeader(header)
        if let timestamp { try w.writeTimestamp(timestamp) }
        if let sourceInfo { try exts.write(DelExtension.sourceInfo, sourceInfo, into: &w) }
        if let attachment { try exts.write(DelExtension.attachment, attachment, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Del {
        var del = Del()
        if header & flagT != 0 { del.timestamp = try r.readTimestamp("DEL.timestamp") }
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("DEL.extension")
            more = e.more
            switch e.key {
            case DelExtension.sourceInfo: del.sourceInfo = try SourceInfo.decodeBody(e.bytes)
            case DelExtension.attachment: del.attachment = e.bytes
            default: try WireReader.unknownExtension(e, "DEL", into: &del.unknownExtensions)
            }
        }
        return del
    }
}

/// What a PUSH (and a REPLY) carries: a PUT or a DEL.
public enum PushBody: Equatable, Sendable {
    case put(Put)
    case del(Del)

    
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        switch self {
        case .put(let p): try p.encode(into: &w)
        case .del(let d): try d.encode(into: &w)
        }
    }

    
    // Inlined into the batch reader so a sample is built where it ends up
    // instead of being copied through each level.
    @inline(__always)
    public static func decode(from r: inout WireReader, _ field: StaticString) throws(DecodeError) -> PushBody {
        let header = try r.readByte(field)
        switch Header.id(header) {
        case Put.id: return .put(try Put.decode(header: header, from: &r))
        case Del.id: return .del(try Del.decode(header: header, from: &r))
        default: throw DecodeError(.unexpectedMessageID, field, value: UInt64(header))
        }
    }
}
