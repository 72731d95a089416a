/// FRAGMENT (zenoh-wire.md §6.6, §14): one chunk of a network message too big
/// for a batch. `header(0x06 | R 0x20 | M 0x40 | Z) | sn zint | [exts] | bytes`
/// where the bytes run to the end of the batch, so a fragment is always the
/// last message of its batch.
public struct Fragment: Equatable, Sendable {
    public static let id: UInt8 = 0x06
    static let flagReliable: UInt8 = 0x20
    static let flagMore: UInt8 = 0x40

    public var reliability: Reliability
    /// M: more fragments of this message follow.
    public var more: Bool
    /// Same SN space as the frames of the channel.
    public var sn: UInt64
    /// Ext `31`, as `FrameHeader.priority`.
    public var priority: Priority?
    /// Ext `02`: the first fragment of a message (patch >= 1).
    public var first: Bool
    /// Ext `03`: the rest of this message was dropped (patch >= 1).
    public var drop: Bool
    public var unknownExtensions: [ZExtension]
    public var payload: ZBytes

    public init(reliability: Reliability = .reliable, more: Bool, sn: UInt64, priority: Priority? = nil,
                first: Bool = false, drop: Bool = false, unknownExtensions: [ZExtension] = [], payload: ZBytes) {
        self.reliability = reliability
        self.more = more
        self.sn = sn
        self.priority = priority
        self.first = first
        self.drop = drop
        self.unknownExtensions = unknownExtensions
        self.payload = payload
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if reliability == .reliable { header |= Self.flagReliable }
        if more { header |= Self.flagMore }
        var exts = try w.writeHeader(header)
        try w.writeZInt(sn)
        if let priority { try exts.write(TransportExtension.qos, UInt64(priority.rawValue), into: &w) }
        if first { try exts.write(FragmentExtension.first, into: &w) }
        if drop { try exts.write(FragmentExtension.drop, into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try w.writeRaw(payload)
    }

    /// Decodes the body after `header` (already read); the payload is the rest of the input.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Fragment {
        var m = Fragment(reliability: header & flagReliable != 0 ? .reliable : .bestEffort,
                         more: header & flagMore != 0, sn: try r.readZInt("FRAGMENT.sn"), payload: [])
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("FRAGMENT.extension")
            more = e.more
            switch e.key {
            case TransportExtension.qos: m.priority = Priority(channelExtension: e)
            case FragmentExtension.first: m.first = true
            case FragmentExtension.drop: m.drop = true
            default: try WireReader.unknownExtension(e, "FRAGMENT", into: &m.unknownExtensions)
            }
        }
        m.payload = r.readRest()
        return m
    }
}
