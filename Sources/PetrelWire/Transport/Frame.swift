/// The part of a FRAME before its network messages (zenoh-wire.md §6.5):
/// `header(0x05 | R 0x20 | Z) | sn zint | [exts: QoS 31]`.
///
/// Kept apart from `Frame` so a batcher can write a header and then append
/// messages while they fit, and a reader can hand out messages one by one.
public struct FrameHeader: Equatable, Sendable {
    public static let id: UInt8 = 0x05
    static let flagReliable: UInt8 = 0x20

    public var reliability: Reliability
    public var sn: UInt64
    /// The priority channel (ext `31`, mandatory zint). `nil` = no extension,
    /// which means Data (5) or a session without QoS. Sent only when QoS was
    /// negotiated and the channel is not Data: a 1.10.2 router closes a link
    /// that sends any priority without QoS.
    public var priority: Priority?
    public var unknownExtensions: [ZExtension]

    public init(reliability: Reliability = .reliable, sn: UInt64, priority: Priority? = nil,
                unknownExtensions: [ZExtension] = []) {
        self.reliability = reliability
        self.sn = sn
        self.priority = priority
        self.unknownExtensions = unknownExtensions
    }

    /// Writes the header byte, the SN and the extensions; the messages follow.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if reliability == .reliable { header |= Self.flagReliable }
        var exts = try w.writeHeader(header)
        try w.writeZInt(sn)
        if let priority { try exts.write(TransportExtension.qos, UInt64(priority.rawValue), into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
    }

    /// Decodes the SN and extensions after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> FrameHeader {
        var h = FrameHeader(reliability: header & flagReliable != 0 ? .reliable : .bestEffort,
                            sn: try r.readZInt("FRAME.sn"))
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("FRAME.extension")
            more = e.more
            switch e.key {
            case TransportExtension.qos: h.priority = Priority(channelExtension: e)
            default: try WireReader.unknownExtension(e, "FRAME", into: &h.unknownExtensions)
            }
        }
        return h
    }
}

/// FRAME (zenoh-wire.md §6.5): a header and network messages back to back,
/// with no count and no length. All messages share the frame's SN, reliability
/// and priority channel.
public struct Frame: Equatable, Sendable {
    public static let id: UInt8 = FrameHeader.id

    public var reliability: Reliability
    public var sn: UInt64
    /// See `FrameHeader.priority`.
    public var priority: Priority?
    public var unknownExtensions: [ZExtension]
    /// May be empty on the wire; Rust never sends an empty frame.
    public var messages: [NetworkMessage]

    public init(reliability: Reliability = .reliable, sn: UInt64, priority: Priority? = nil,
                unknownExtensions: [ZExtension] = [], messages: [NetworkMessage]) {
        self.reliability = reliability
        self.sn = sn
        self.priority = priority
        self.unknownExtensions = unknownExtensions
        self.messages = messages
    }

    public init(header: FrameHeader, messages: [NetworkMessage]) {
        self.init(reliability: header.reliability, sn: header.sn, priority: header.priority,
                  unknownExtensions: header.unknownExtensions, messages: messages)
    }

    public var header: FrameHeader {
        get { FrameHeader(reliability: reliability, sn: sn, priority: priority, unknownExtensions: unknownExtensions) }
        set {
            reliability = newValue.reliability
            sn = newValue.sn
            priority = newValue.priority
            unknownExtensions = newValue.unknownExtensions
        }
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        try header.encode(into: &w)
        for m in messages { try m.encode(into: &w) }
    }

    /// Decodes the header after `header` (already read), then network messages
    /// until the input ends or the next byte is not a network id (a following
    /// transport message). A malformed network message is an error, not the
    /// end of the frame.
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Frame {
        let h = try FrameHeader.decode(header: header, from: &r)
        var messages: [NetworkMessage] = []
        while let next = r.peekByte(), NetworkMessage.isNetworkID(next) {
            messages.append(try NetworkMessage.decode(from: &r))
        }
        return Frame(header: h, messages: messages)
    }
}

// The transport QoS extension of Frame, Fragment and transport OAM
// (`TransportExtension.qos`): a zint whose bits 0-2 are the channel's priority.
extension Priority {
    /// Bits above 0-2 are ignored, as Rust ignores them.
    init(channelExtension e: ExtensionRead) {
        self = Priority(rawValue: UInt8(truncatingIfNeeded: e.zint) & 0x07) ?? .data
    }
}
