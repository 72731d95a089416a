import PetrelTime

/// A pair of next sequence numbers, one per reliability, as JOIN carries them.
public struct JoinSNPair: Equatable, Hashable, Sendable {
    public var reliable: UInt64
    public var bestEffort: UInt64

    public init(reliable: UInt64, bestEffort: UInt64) {
        self.reliable = reliable
        self.bestEffort = bestEffort
    }
}

/// JOIN (zenoh-wire.md §6.7): a multicast transport's periodic announcement.
///
///   header 0x07 | T 0x20 (lease in seconds) | S 0x40 | Z 0x80
///   version u8 | flags ((zid_len-1)<<4 | whatami) | zid
///   [S: resolution u8 | batch_size u16 LE] | lease zint
///   next SN: reliable zint, best effort zint | [Z: extensions]
///
/// Unicast clients never see it; read from source only, never captured.
public struct Join: Equatable, Sendable {
    public static let id: UInt8 = 0x07
    static let flagLeaseInSeconds: UInt8 = 0x20
    static let flagSize: UInt8 = 0x40
    /// The resolution assumed when S is clear.
    public static let defaultResolution: UInt8 = 0x0A
    /// The multicast batch size assumed when S is clear (not the unicast 65535).
    public static let defaultBatchSize: UInt16 = 8192
    /// Priorities in the QoS extension.
    public static let priorityCount = 8

    public var version: UInt8
    public var whatAmI: WhatAmI
    public var zid: ZenohID
    public var resolution: UInt8
    public var batchSize: UInt16
    /// Written in seconds (T flag) whenever it is a whole number of seconds.
    public var leaseMilliseconds: UInt64
    /// Next SNs of the single channel when there is no QoS extension.
    public var nextSN: JoinSNPair
    /// Ext `51` (mandatory bytes): next SNs for each of the 8 priorities, index = priority.
    public var qosNextSNs: [JoinSNPair]?
    /// Ext `52` (mandatory bytes): shared memory; carried, not interpreted.
    public var shm: ZBytes?
    /// Ext `27`: patch level; `nil` = not sent.
    public var patch: UInt64?
    public var unknownExtensions: [ZExtension]

    public init(version: UInt8 = TransportMessage.protocolVersion, whatAmI: WhatAmI, zid: ZenohID,
                resolution: UInt8 = Join.defaultResolution, batchSize: UInt16 = Join.defaultBatchSize,
                leaseMilliseconds: UInt64, nextSN: JoinSNPair, qosNextSNs: [JoinSNPair]? = nil,
                shm: ZBytes? = nil, patch: UInt64? = nil, unknownExtensions: [ZExtension] = []) {
        self.version = version
        self.whatAmI = whatAmI
        self.zid = zid
        self.resolution = resolution
        self.batchSize = batchSize
        self.leaseMilliseconds = leaseMilliseconds
        self.nextSN = nextSN
        self.qosNextSNs = qosNextSNs
        self.shm = shm
        self.patch = patch
        self.unknownExtensions = unknownExtensions
    }

    /// Throws `.invalidValue` when `qosNextSNs` does not hold exactly 8 pairs.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        let hasSize = resolution != Self.defaultResolution || batchSize != Self.defaultBatchSize
        var header = Self.id
        if WireWriter.leaseIsInSeconds(leaseMilliseconds) { header |= Self.flagLeaseInSeconds }
        if hasSize { header |= Self.flagSize }
        var exts = try w.writeHeader(header)
        try w.writeByte(version)
        try w.writeNodeIdentity(whatAmI: whatAmI, zid: zid)
        if hasSize {
            try w.writeByte(resolution)
            try w.writeUInt16LE(batchSize)
        }
        try w.writeLease(leaseMilliseconds)
        try w.writeZInt(nextSN.reliable)
        try w.writeZInt(nextSN.bestEffort)
        if let qosNextSNs {
            guard qosNextSNs.count == Self.priorityCount else { throw .invalidValue("JOIN.qosNextSNs") }
            try exts.write(JoinExtension.qos, JoinQoSNextSNs(pairs: qosNextSNs), into: &w)
        }
        if let shm { try exts.write(JoinExtension.shm, shm, into: &w) }
        if let patch { try exts.write(JoinExtension.patch, patch, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the body after `header` (already read). Whatami bits `11`, a
    /// QoS extension that is not exactly 8 SN pairs (`.invalidValue`) and a
    /// lease in seconds that overflows milliseconds are errors.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Join {
        let version = try r.readByte("JOIN.version")
        let (whatAmI, zid) = try r.readNodeIdentity("JOIN.zid")
        var resolution = defaultResolution
        var batchSize = defaultBatchSize
        if header & flagSize != 0 {
            resolution = try r.readByte("JOIN.resolution")
            batchSize = try r.readUInt16LE("JOIN.batchSize")
        }
        let lease = try r.readLease(inSeconds: header & flagLeaseInSeconds != 0, "JOIN.lease")
        let next = JoinSNPair(reliable: try r.readZInt("JOIN.nextSN"), bestEffort: try r.readZInt("JOIN.nextSN"))
        var m = Join(version: version, whatAmI: whatAmI, zid: zid, resolution: resolution, batchSize: batchSize,
                     leaseMilliseconds: lease, nextSN: next)
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("JOIN.extension")
            more = e.more
            switch e.key {
            case JoinExtension.qos: m.qosNextSNs = try decodeQoSNextSNs(e.bytes)
            case JoinExtension.shm: m.shm = e.bytes
            case JoinExtension.patch: m.patch = e.zint
            default: try WireReader.unknownExtension(e, "JOIN", into: &m.unknownExtensions)
            }
        }
        return m
    }

    static func decodeQoSNextSNs(_ body: ZBytes) throws(DecodeError) -> [JoinSNPair] {
        var r = WireReader(body)
        var pairs: [JoinSNPair] = []
        pairs.reserveCapacity(priorityCount)
        for _ in 0..<priorityCount {
            pairs.append(JoinSNPair(reliable: try r.readZInt("JOIN.qos"), bestEffort: try r.readZInt("JOIN.qos")))
        }
        guard r.isAtEnd else { throw DecodeError(.invalidValue, "JOIN.qos", value: UInt64(r.remaining)) }
        return pairs
    }
}

/// The body of JOIN's QoS extension: for each priority in order, the next
/// reliable and best-effort SNs, with no count (there are always 8).
struct JoinQoSNextSNs: ExtensionBody {
    var pairs: [JoinSNPair]

    func encodeExtensionBody(into w: inout WireWriter) throws(EncodeError) {
        for p in pairs {
            try w.writeZInt(p.reliable)
            try w.writeZInt(p.bestEffort)
        }
    }
}
