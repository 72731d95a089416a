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
        try encodeHead(ack: false, into: &w)
        try w.writeSlice(cookie)
        try encodeExtensions(multiLink: multiLink.map { .bytes($0) }, into: &w)
    }

    /// Decodes the body after `header` (already read). A lease in seconds whose
    /// milliseconds overflow 64 bits is `.valueOutOfRange`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> OpenSyn {
        let (lease, sn) = try r.readOpenHead(header: header)
        let cookie = try r.readSlice("OPEN_SYN.cookie")
        var m = OpenSyn(leaseMilliseconds: lease, initialSN: sn, cookie: cookie)
        try m.decodeExtensions(header: header, multiLinkKey: 0x44, from: &r, "OPEN_SYN.extension") { m, e in
            m.multiLink = e.bytes
        }
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
        try encodeHead(ack: true, into: &w)
        try encodeExtensions(multiLink: multiLink ? .unit : nil, into: &w)
    }

    /// Decodes the body after `header` (already read). A lease in seconds whose
    /// milliseconds overflow 64 bits is `.valueOutOfRange`.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> OpenAck {
        let (lease, sn) = try r.readOpenHead(header: header)
        var m = OpenAck(leaseMilliseconds: lease, initialSN: sn)
        try m.decodeExtensions(header: header, multiLinkKey: 0x04, from: &r, "OPEN_ACK.extension") { m, _ in
            m.multiLink = true
        }
        return m
    }
}

// MARK: - Shared codec

/// OPEN flag bits (§3).
enum OpenFlag {
    static let ack: UInt8 = 0x20
    static let leaseInSeconds: UInt8 = 0x40
}

/// The fields OpenSyn and OpenAck share; MultiLink differs in shape and is
/// handled by each message.
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
    var hasMultiLink: Bool { get }
}

extension OpenSyn: OpenFields {
    var hasMultiLink: Bool { multiLink != nil }
}

extension OpenAck: OpenFields {
    var hasMultiLink: Bool { multiLink }
}

extension OpenFields {
    var extensionCount: Int {
        (qos ? 1 : 0) + (shm == nil ? 0 : 1) + (shmZInt == nil ? 0 : 1) + (auth == nil ? 0 : 1)
            + (hasMultiLink ? 1 : 0) + (lowLatency ? 1 : 0) + (compression ? 1 : 0)
            + (remoteBound == nil ? 0 : 1) + unknownExtensions.count
    }

    /// Header byte, lease and initial SN.
    func encodeHead(ack: Bool, into w: inout WireWriter) throws(EncodeError) {
        var header = OpenSyn.id
        if ack { header |= OpenFlag.ack }
        if WireWriter.leaseIsInSeconds(leaseMilliseconds) { header |= OpenFlag.leaseInSeconds }
        if extensionCount > 0 { header |= Header.z }
        try w.writeByte(header)
        try w.writeLease(leaseMilliseconds)
        try w.writeZInt(initialSN)
    }

    /// Known extensions in the §4 catalogue order, then the unknown ones.
    func encodeExtensions(multiLink: ZExtension.Body?, into w: inout WireWriter) throws(EncodeError) {
        var exts = ExtensionCountdown(extensionCount)
        if qos { try ZExtension(id: 1, body: .unit).encode(into: &w, more: exts.more()) }
        if let shm { try ZExtension(id: 2, body: .bytes(shm)).encode(into: &w, more: exts.more()) }
        if let shmZInt { try ZExtension(id: 2, body: .zint(shmZInt)).encode(into: &w, more: exts.more()) }
        if let auth { try ZExtension(id: 3, body: .bytes(auth)).encode(into: &w, more: exts.more()) }
        if let multiLink { try ZExtension(id: 4, body: multiLink).encode(into: &w, more: exts.more()) }
        if lowLatency { try ZExtension(id: 5, body: .unit).encode(into: &w, more: exts.more()) }
        if compression { try ZExtension(id: 6, body: .unit).encode(into: &w, more: exts.more()) }
        if let remoteBound { try ZExtension(id: 7, body: .zint(remoteBound)).encode(into: &w, more: exts.more()) }
        for e in unknownExtensions { try e.encode(into: &w, more: exts.more()) }
    }

    mutating func decodeExtensions(header: UInt8, multiLinkKey: UInt8, from r: inout WireReader, _ field: StaticString,
                                   multiLink: (inout Self, ExtensionRead) -> Void) throws(DecodeError) {
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension(field)
            more = e.more
            switch e.key {
            case 0x01: qos = true
            case 0x42: shm = e.bytes
            case 0x22: shmZInt = e.zint
            case 0x43: auth = e.bytes
            case multiLinkKey: multiLink(&self, e)
            case 0x05: lowLatency = true
            case 0x06: compression = true
            case 0x27: remoteBound = e.zint
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
