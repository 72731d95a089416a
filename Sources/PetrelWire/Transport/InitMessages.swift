import PetrelTime

// INIT (zenoh-wire.md §6.1): the first exchange of a unicast session. The
// opener sends an InitSyn (A=0) with its identity and size wishes, the
// acceptor answers an InitAck (A=1) with its own and an opaque cookie.
//
//   header 0x01 | A 0x20 | S 0x40 | Z 0x80
//   version u8 | flags ((zid_len-1)<<4 | whatami) | zid
//   [S: resolution u8 | batch_size u16 LE]
//   [InitAck: cookie, zint length <= u16]
//   [Z: extensions]

/// InitSyn: what a session opener offers (§6.1, §7 step 2).
///
/// Extensions are typed fields; `false`/`nil` means "not on the wire". S is
/// written exactly when `resolution` or `batchSize` differs from its default.
public struct InitSyn: Equatable, Sendable {
    public static let id: UInt8 = 0x01
    /// The resolution byte both sides assume when S is clear: 32-bit frame SNs and request ids.
    public static let defaultResolution: UInt8 = 0x0A
    /// The unicast batch size both sides assume when S is clear.
    public static let defaultBatchSize: UInt16 = 65535

    public var version: UInt8
    public var whatAmI: WhatAmI
    public var zid: ZenohID
    /// Raw resolution byte: bits 0-1 frame SN, bits 2-3 request id (`00` 8 … `11` 64 bits).
    public var resolution: UInt8
    /// Largest batch the sender accepts, TCP length prefix included.
    public var batchSize: UInt16
    /// Ext `01`: "I support priorities" (then 8 priority channels run).
    public var qos: Bool
    /// Ext `21`: QoS with a per-link priority range and reliability.
    public var qosLink: UInt64?
    /// Ext `42`: shared-memory negotiation; carried, not interpreted.
    public var shm: ZBytes?
    /// Ext `43`: authentication; carried, not interpreted.
    public var auth: ZBytes?
    /// Ext `44`: multi-link negotiation; carried, not interpreted.
    public var multiLink: ZBytes?
    /// Ext `05`: low-latency transport (no frames, no SNs).
    public var lowLatency: Bool
    /// Ext `06`: LZ4 batch compression.
    public var compression: Bool
    /// Ext `27`: protocol patch level (1 = fragment First/Drop markers); `nil` = not sent (patch 0).
    public var patch: UInt64?
    /// Ext `48`: region name (newer than 1.10.2).
    public var regionName: ZBytes?
    public var unknownExtensions: [ZExtension]

    public init(version: UInt8 = TransportMessage.protocolVersion, whatAmI: WhatAmI, zid: ZenohID,
                resolution: UInt8 = InitSyn.defaultResolution, batchSize: UInt16 = InitSyn.defaultBatchSize,
                qos: Bool = false, qosLink: UInt64? = nil, shm: ZBytes? = nil, auth: ZBytes? = nil,
                multiLink: ZBytes? = nil, lowLatency: Bool = false, compression: Bool = false,
                patch: UInt64? = nil, regionName: ZBytes? = nil, unknownExtensions: [ZExtension] = []) {
        self.version = version
        self.whatAmI = whatAmI
        self.zid = zid
        self.resolution = resolution
        self.batchSize = batchSize
        self.qos = qos
        self.qosLink = qosLink
        self.shm = shm
        self.auth = auth
        self.multiLink = multiLink
        self.lowLatency = lowLatency
        self.compression = compression
        self.patch = patch
        self.regionName = regionName
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try encodeHead(ack: false, into: &w)
        try encodeExtensions(&exts, into: &w)
    }

    /// Decodes the body after `header` (already read). Whatami bits `11` are
    /// rejected (`.invalidValue`), as are unknown mandatory extensions.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> InitSyn {
        let head = try InitHead.decode(header: header, from: &r)
        var m = InitSyn(version: head.version, whatAmI: head.whatAmI, zid: head.zid,
                        resolution: head.resolution, batchSize: head.batchSize)
        try m.decodeExtensions(header: header, from: &r, "INIT_SYN.extension")
        return m
    }
}

/// InitAck: the acceptor's answer (§6.1, §7 step 3). Same fields as `InitSyn`
/// plus the cookie the opener must return unchanged in its OpenSyn.
public struct InitAck: Equatable, Sendable {
    public static let id: UInt8 = 0x01
    public static let defaultResolution: UInt8 = InitSyn.defaultResolution
    public static let defaultBatchSize: UInt16 = InitSyn.defaultBatchSize

    public var version: UInt8
    public var whatAmI: WhatAmI
    public var zid: ZenohID
    /// Raw resolution byte: per field the minimum of both sides' offers.
    public var resolution: UInt8
    /// The acceptor's limit; the session uses the minimum of both.
    public var batchSize: UInt16
    /// Opaque, at most 65535 bytes; never interpreted by the opener.
    public var cookie: ZBytes
    public var qos: Bool
    public var qosLink: UInt64?
    public var shm: ZBytes?
    public var auth: ZBytes?
    public var multiLink: ZBytes?
    public var lowLatency: Bool
    public var compression: Bool
    public var patch: UInt64?
    public var regionName: ZBytes?
    public var unknownExtensions: [ZExtension]

    public init(version: UInt8 = TransportMessage.protocolVersion, whatAmI: WhatAmI, zid: ZenohID,
                resolution: UInt8 = InitAck.defaultResolution, batchSize: UInt16 = InitAck.defaultBatchSize,
                cookie: ZBytes,
                qos: Bool = false, qosLink: UInt64? = nil, shm: ZBytes? = nil, auth: ZBytes? = nil,
                multiLink: ZBytes? = nil, lowLatency: Bool = false, compression: Bool = false,
                patch: UInt64? = nil, regionName: ZBytes? = nil, unknownExtensions: [ZExtension] = []) {
        self.version = version
        self.whatAmI = whatAmI
        self.zid = zid
        self.resolution = resolution
        self.batchSize = batchSize
        self.cookie = cookie
        self.qos = qos
        self.qosLink = qosLink
        self.shm = shm
        self.auth = auth
        self.multiLink = multiLink
        self.lowLatency = lowLatency
        self.compression = compression
        self.patch = patch
        self.regionName = regionName
        self.unknownExtensions = unknownExtensions
    }

    /// Throws `.invalidValue` when the cookie is longer than 65535 bytes.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try encodeHead(ack: true, into: &w)
        guard cookie.count <= Int(UInt16.max) else { throw .invalidValue("INIT_ACK.cookie") }
        try w.writeSlice(cookie)
        try encodeExtensions(&exts, into: &w)
    }

    /// Decodes the body after `header` (already read). A cookie longer than
    /// 65535 bytes is `.valueOutOfRange`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> InitAck {
        let head = try InitHead.decode(header: header, from: &r)
        let cookie = try r.readSlice("INIT_ACK.cookie", maxLength: UInt64(UInt16.max))
        var m = InitAck(version: head.version, whatAmI: head.whatAmI, zid: head.zid,
                        resolution: head.resolution, batchSize: head.batchSize, cookie: cookie)
        try m.decodeExtensions(header: header, from: &r, "INIT_ACK.extension")
        return m
    }
}

// MARK: - Shared codec

/// The fields InitSyn and InitAck share, so one writer and one reader serve both.
protocol InitFields {
    var version: UInt8 { get }
    var whatAmI: WhatAmI { get }
    var zid: ZenohID { get }
    var resolution: UInt8 { get }
    var batchSize: UInt16 { get }
    var qos: Bool { get set }
    var qosLink: UInt64? { get set }
    var shm: ZBytes? { get set }
    var auth: ZBytes? { get set }
    var multiLink: ZBytes? { get set }
    var lowLatency: Bool { get set }
    var compression: Bool { get set }
    var patch: UInt64? { get set }
    var regionName: ZBytes? { get set }
    var unknownExtensions: [ZExtension] { get set }
}

extension InitSyn: InitFields {}
extension InitAck: InitFields {}

/// INIT flag bits (§3).
enum InitFlag {
    static let ack: UInt8 = 0x20
    static let size: UInt8 = 0x40
}

extension InitFields {
    var hasSizeParams: Bool {
        resolution != InitSyn.defaultResolution || batchSize != InitSyn.defaultBatchSize
    }

    /// Header byte through batch size; returns the chain the extensions
    /// continue, which sets the header's Z if there are any.
    func encodeHead(ack: Bool, into w: inout WireWriter) throws(EncodeError) -> ExtensionChain {
        var header = InitSyn.id
        if ack { header |= InitFlag.ack }
        if hasSizeParams { header |= InitFlag.size }
        let exts = try w.writeHeader(header)
        try w.writeByte(version)
        try w.writeNodeIdentity(whatAmI: whatAmI, zid: zid)
        if hasSizeParams {
            try w.writeByte(resolution)
            try w.writeUInt16LE(batchSize)
        }
        return exts
    }

    /// Known extensions in the §4 catalogue order, then the unknown ones.
    func encodeExtensions(_ exts: inout ExtensionChain, into w: inout WireWriter) throws(EncodeError) {
        if qos { try exts.write(InitExtension.qos, into: &w) }
        if let qosLink { try exts.write(InitExtension.qosLink, qosLink, into: &w) }
        if let shm { try exts.write(InitExtension.shm, shm, into: &w) }
        if let auth { try exts.write(InitExtension.auth, auth, into: &w) }
        if let multiLink { try exts.write(InitExtension.multiLink, multiLink, into: &w) }
        if lowLatency { try exts.write(InitExtension.lowLatency, into: &w) }
        if compression { try exts.write(InitExtension.compression, into: &w) }
        if let patch { try exts.write(InitExtension.patch, patch, into: &w) }
        if let regionName { try exts.write(InitExtension.regionName, regionName, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    mutating func decodeExtensions(header: UInt8, from r: inout WireReader, _ field: StaticString) throws(DecodeError) {
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension(field)
            more = e.more
            switch e.key {
            case InitExtension.qos: qos = true
            case InitExtension.qosLink: qosLink = e.zint
            case InitExtension.shm: shm = e.bytes
            case InitExtension.auth: auth = e.bytes
            case InitExtension.multiLink: multiLink = e.bytes
            case InitExtension.lowLatency: lowLatency = true
            case InitExtension.compression: compression = true
            case InitExtension.patch: patch = e.zint
            case InitExtension.regionName: regionName = e.bytes
            default: try WireReader.unknownExtension(e, field, into: &unknownExtensions)
            }
        }
    }
}

/// Version through batch size, as read.
struct InitHead {
    var version: UInt8
    var whatAmI: WhatAmI
    var zid: ZenohID
    var resolution: UInt8
    var batchSize: UInt16

    static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> InitHead {
        let version = try r.readByte("INIT.version")
        let (whatAmI, zid) = try r.readNodeIdentity("INIT.zid")
        var head = InitHead(version: version, whatAmI: whatAmI, zid: zid,
                            resolution: InitSyn.defaultResolution, batchSize: InitSyn.defaultBatchSize)
        if header & InitFlag.size != 0 {
            head.resolution = try r.readByte("INIT.resolution")
            head.batchSize = try r.readUInt16LE("INIT.batchSize")
        }
        return head
    }
}

// The `(zid_len-1)<<4 | whatami` flags byte followed by the ZID, shared by
// Init, Join and Hello.
extension WireWriter {
    mutating func writeNodeIdentity(whatAmI: WhatAmI, zid: ZenohID) throws(EncodeError) {
        try writeByte(zid.lengthNibble | whatAmI.rawValue)
        try writeZIDBytes(zid)
    }
}

extension WireReader {
    /// Whatami bits `11` are `.invalidValue`; bits 2-3 are ignored, as Rust does.
    mutating func readNodeIdentity(_ field: StaticString) throws(DecodeError) -> (WhatAmI, ZenohID) {
        let flags = try readByte(field)
        guard let whatAmI = WhatAmI(rawValue: flags & 0x03) else {
            throw DecodeError(.invalidValue, field, value: UInt64(flags))
        }
        let zid = try readZIDBytes(count: Int(flags >> 4) + 1, field)
        return (whatAmI, zid)
    }
}
