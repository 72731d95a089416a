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
        let extCount = (sourceInfo == nil ? 0 : 1) + (isSharedMemory ? 1 : 0) + unknownExtensions.count
        var header = Self.id
        if !encoding.isDefault { header |= Self.flagE }
        if extCount > 0 { header |= Header.z }
        try w.writeByte(header)
        if !encoding.isDefault { try w.writeEncoding(encoding) }
        var exts = ExtensionCountdown(extCount)
        if let sourceInfo { try sourceInfo.encodeExtension(id: 1, into: &w, more: exts.more()) }
        if isSharedMemory { try ZExtension(id: 2, isMandatory: true, body: .unit).encode(into: &w, more: exts.more()) }
        for e in unknownExtensions { try e.encode(into: &w, more: exts.more()) }
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
            case 0x41: err.sourceInfo = try SourceInfo.decodeBody(e.bytes)
            case 0x12: err.isSharedMemory = true
            default: try WireReader.unknownExtension(e, "ERR", into: &err.unknownExtensions)
            }
        }
        err.payload = try r.readSlice("ERR.payload")
        return err
    }
}
