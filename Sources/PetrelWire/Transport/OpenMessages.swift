// OPEN (zenoh-wire.md §6.2): the second exchange of a unicast session. The
// opener returns the InitAck cookie with its lease and first SN (OpenSyn, A=0);
// the acceptor answers with its own lease and first SN (OpenAck, A=1).
//
//   header 0x02 | A 0x20 | T 0x40 (lease in seconds) | Z 0x80
//   lease zint | initial_sn zint | [OpenSyn: cookie bytes] | [Z: extensions]

/// OpenSyn: the opener's lease, first SN and the cookie (§7 step 4).
public struct OpenSyn: Equatable, Sendable {
    public static let id: UInt8 = 0x02

    /// The sender's lease. Written in seconds (T flag) whenever it is a whole
    /// number of seconds, as Rust does, so 10 s travels as `0a`.
    public var leaseMilliseconds: UInt64
    /// The first SN the sender uses on every channel.
    public var initialSN: UInt64
    /// The InitAck cookie, byte for byte.
    public var cookie: ZBytes
    /// Ext `01` (not sent by 1.10.2 in Open).
    public var qos: Bool
    /// Ext `42`: shared memory as 1.10.2 sends it (bytes); carried, not interpreted.
    public var shm: ZBytes?
    /// Ext `22`: shared memory as the protocol source declares it (zint).
    public var shmZInt: UInt64?
    /// Ext `43`: authentication; carried, not interpreted.
    public var auth: ZBytes?
    /// Ext `44`: multi-link (bytes in OpenSyn).
    public var multiLink: ZBytes?
    /// Ext `05`.
    public var lowLatency: Bool
    /// Ext `06`.
    public var compression: Bool
    /// Ext `27`: router-internal.
    public var remoteBound: UInt64?
    public var unknownExtensions: [ZExtension]

    public init(leaseMilliseconds: UInt64, initialSN: UInt64, cookie: ZBytes, qos: Bool = false,
                shm: ZBytes? = nil, shmZInt: UInt64? = nil, auth: ZBytes? = nil, multiLink: ZBytes? = nil,
                lowLatency: Bool = false, compression: Bool = false, remoteBound: UInt64? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.leaseMilliseconds = leaseMilliseconds
        self.initialSN = initialSN
        self.cookie = cookie
        self.qos = qos
        self.shm = shm
        self.shmZInt = shmZInt
        self.auth = auth
        self.multiLink = multiLink
        self.lowLatency = lowLatency
        self.compression = compression
        self.remoteBound = remoteBound
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try encodeHead(ack: false, into: &w)
        try w.writeSlice(cookie)
        try encodeExtensions(&exts, into: &w)
    }

    /// Decodes the body after `header` (already read). A lease in seconds whose
    /// milliseconds overflow 64 bits is `.valueOutOfRange`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> OpenSyn {
        let (lease, sn) = try r.readOpenHead(header: header)
        let cookie = try r.readSlice("OPEN_SYN.cookie")
        var m = OpenSyn(leaseMilliseconds: lease, initialSN: sn, cookie: cookie)
        try m.decodeExtensions(header: header, from: &r, "OPEN_SYN.extension")
        return m
    }
}

/// OpenAck: the acceptor's lease and first SN (§7 step 5).
public struct OpenAck: Equatable, Sendable {
    public static let id: UInt8 = 0x02

    /// Written in seconds (T flag) whenever it is a whole number of seconds.
    public var leaseMilliseconds: UInt64
    /// The first SN the acceptor uses on every channel.
    public var initialSN: UInt64
    public var qos: Bool
    /// Ext `42` (bytes, as observed from 1.10.2).
    public var shm: ZBytes?
    /// Ext `22` (zint, as the protocol source declares it).
    public var shmZInt: UInt64?
    public var auth: ZBytes?
    /// Ext `04`: multi-link accepted (a unit ext in OpenAck).
    public var multiLink: Bool
    public var lowLatency: Bool
    public var compression: Bool
    public var remoteBound: UInt64?
    public var unknownExtensions: [ZExtension]

    public init(leaseMilliseconds: UInt64, initialSN: UInt64, qos: Bool = false,
                shm: ZBytes? = nil, shmZInt: UInt64? = nil, auth: ZBytes? = nil, multiLink: Bool = false,
                lowLatency: Bool = false, compression: Bool = false, remoteBound: UInt64? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.leaseMilliseconds = leaseMilliseconds
        self.initialSN = initialSN
        self.qos = qos
        self.shm = shm
        self.shmZInt = shmZInt
        self.auth = auth
        self.multiLink = multiLink
        self.lowLatency = lowLatency
        self.compression = compression
        self.remoteBound = remoteBound
        self.unknownExtensions = unknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var exts = try encodeHead(ack: true, into: &w)
        try encodeExtensions(&exts, into: &w)
    }

    /// Decodes the body after `header` (already read). A lease in seconds whose
    /// milliseconds overflow 64 bits is `.valueOutOfRange`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> OpenAck {
        let (lease, sn) = try r.readOpenHead(header: header)
        var m = OpenAck(leaseMilliseconds: lease, initialSN: sn)
        try m.decodeExtensions(header: header, from: &r, "OPEN_ACK.extension")
        return m
    }
}

// MARK: - Shared codec

/// OPEN flag bits (§3).
enum OpenFlag {
    static let ack: UInt8 = 0x20
    static let leaseInSeconds: UInt8 = 0x40
}

/// The fields OpenSyn and OpenAck share; MultiLink differs in shape (bytes in
/// the Syn, unit in the Ack) and is handled by each message.
protocol OpenFields {
    var leaseMilliseconds: UInt64 { get }
    var initialSN: UInt64 { get }
    var qos: Bool { get set }
    var shm: ZBytes? { get set }
    var shmZInt: UInt64? { get set }
    var auth: ZBytes? { get set }
    var lowLatency: Bool { get set }
    var compression: Bool { get set }
    var remoteBound: UInt64? { get set }
    var unknownExtensions: [ZExtension] { get set }

    /// The MultiLink extension's header byte in this message.
    static var multiLinkKey: UInt8 { get }
    /// Writes MultiLink if present.
    func encodeMultiLink(_ exts: inout ExtensionChain, into w: inout WireWriter) throws(EncodeError)
    /// Takes MultiLink from an extension whose key is `multiLinkKey`.
    mutating func decodeMultiLink(_ e: ExtensionRead)
}

extension OpenSyn: OpenFields {
    static var multiLinkKey: UInt8 { OpenExtension.multiLinkSyn.key }

    func encodeMultiLink(_ exts: inout ExtensionChain, into w: inout WireWriter) throws(EncodeError) {
        if let multiLink { try exts.write(OpenExtension.multiLinkSyn, multiLink, into: &w) }
    }

    mutating func decodeMultiLink(_ e: ExtensionRead) { multiLink = e.bytes }
}

extension OpenAck: OpenFields {
    static var multiLinkKey: UInt8 { OpenExtension.multiLinkAck.key }

    func encodeMultiLink(_ exts: inout ExtensionChain, into w: inout WireWriter) throws(EncodeError) {
        if multiLink { try exts.write(OpenExtension.multiLinkAck, into: &w) }
    }

    mutating func decodeMultiLink(_ e: ExtensionRead) { multiLink = true }
}

extension OpenFields {
    /// Header byte, lease and initial SN; returns the chain the extensions
    /// continue, which sets the header's Z if there are any.
    func encodeHead(ack: Bool, into w: inout WireWriter) throws(EncodeError) -> ExtensionChain {
        var header = OpenSyn.id
        if ack { header |= OpenFlag.ack }
        if WireWriter.leaseIsInSeconds(leaseMilliseconds) { header |= OpenFlag.leaseInSeconds }
        let exts = try w.writeHeader(header)
        try w.writeLease(leaseMilliseconds)
        try w.writeZInt(initialSN)
        return exts
    }

    /// Known extensions in the §4 catalogue order, then the unknown ones.
    func encodeExtensions(_ exts: inout ExtensionChain, into w: inout WireWriter) throws(EncodeError) {
        if qos { try exts.write(OpenExtension.qos, into: &w) }
        if let shm { try exts.write(OpenExtension.shm, shm, into: &w) }
        if let shmZInt { try exts.write(OpenExtension.shmZInt, shmZInt, into: &w) }
        if let auth { try exts.write(OpenExtension.auth, auth, into: &w) }
        try encodeMultiLink(&exts, into: &w)
        if lowLatency { try exts.write(OpenExtension.lowLatency, into: &w) }
        if compression { try exts.write(OpenExtension.compression, into: &w) }
        if let remoteBound { try exts.write(OpenExtension.remoteBound, remoteBound, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    mutating func decodeExtensions(header: UInt8, from r: inout WireReader, _ field: StaticString) throws(DecodeError) {
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension(field)
            more = e.more
            switch e.key {
            case OpenExtension.qos: qos = true
            case OpenExtension.shm: shm = e.bytes
            case OpenExtension.shmZInt: shmZInt = e.zint
            case OpenExtension.auth: auth = e.bytes
            case Self.multiLinkKey: decodeMultiLink(e)
            case OpenExtension.lowLatency: lowLatency = true
            case OpenExtension.compression: compression = true
            case OpenExtension.remoteBound: remoteBound = e.zint
            default: try WireReader.unknownExtension(e, field, into: &unknownExtensions)
            }
        }
    }
}

extension WireReader {
    /// Reads an OPEN's lease (converted to milliseconds) and initial SN.
    mutating func readOpenHead(header: UInt8) throws(DecodeError) -> (lease: UInt64, sn: UInt64) {
        let lease = try readLease(inSeconds: header & OpenFlag.leaseInSeconds != 0, "OPEN.lease")
        let sn = try readZInt("OPEN.initialSN")
        return (lease, sn)
    }
}

// Leases (Open, Join) travel in seconds when whole, else in milliseconds; a
// header flag says which.
extension WireWriter {
    /// Whether `writeLease` writes `milliseconds` in seconds (so the caller sets its T flag).
    static func leaseIsInSeconds(_ milliseconds: UInt64) -> Bool { milliseconds % 1000 == 0 }

    mutating func writeLease(_ milliseconds: UInt64) throws(EncodeError) {
        try writeZInt(Self.leaseIsInSeconds(milliseconds) ? milliseconds / 1000 : milliseconds)
    }
}

extension WireReader {
    /// A lease in milliseconds; seconds whose milliseconds overflow 64 bits are `.valueOutOfRange`.
    mutating func readLease(inSeconds: Bool, _ field: StaticString) throws(DecodeError) -> UInt64 {
        let lease = try readZInt(field)
        guard inSeconds else { return lease }
        let (ms, overflow) = lease.multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw DecodeError(.valueOutOfRange, field, value: lease) }
        return ms
    }
}
