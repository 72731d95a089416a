/// ERR (§10.5): a queryable's (or the router's) error answer to a query,
/// inside a RESPONSE. A router whose queryable never finalised sends one with
/// payload "Timeout".
public struct Err: Equatable, Sendable {
    public static let id: UInt8 = 0x05
    static let flagE: UInt8 = 0x40

    public var encoding: Encoding
    public var sourceInfo: SourceInfo?
    /// Ext `12` (mandatory unit): the payload is a shared-memory handle. Never
    /// sent by Petrel.
    public var isSharedMemory: Bool
    public var unknownExtensions: [ZExtension]
    public var payload: ZBytes

    public init(payload: ZBytes, encoding: Encoding = .zenohBytes, sourceInfo: SourceInfo? = nil,
                isSharedMemory: Bool = false, unknownExtensions: [ZExtension] = []) {
        self.payload = payload
        self.encoding = encoding
        self.sourceInfo = sourceInfo
        self.isSharedMemory = isSharedMemory
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if !encoding.isDefault { header |= Self.flagE }
        var exts = try w.writeHeader(header)
        if !encoding.isDefault { try w.writeEncoding(encoding) }
        if let sourceInfo { try exts.write(ErrExtension.sourceInfo, sourceInfo, into: &w) }
        if isSharedMemory { try exts.write(ErrExtension.shm, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try w.writeSlice(payload)
    }

    /// Decodes the body after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Err {
        var err = Err(payload: [])
        if header & flagE != 0 { err.encoding = try r.readEncoding("ERR.encoding") }
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("ERR.extension")
            more = e.more
            switch e.key {
            case ErrExtension.sourceInfo: err.sourceInfo = try SourceInfo.decodeBody(e.bytes)
            case ErrExtension.shm: err.isSharedMemory = true
            default: try WireReader.unknownExtension(e, "ERR", into: &err.unknownExtensions)
            }
        }
        err.payload = try r.readSlice("ERR.payload")
        return err
    }
}
