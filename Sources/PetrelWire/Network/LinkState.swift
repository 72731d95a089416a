import PetrelTime

/// Zenoh's gossip: the body of a network OAM with id 1 (`linkStateOAMID`),
/// sent between peers (and routers) so each learns where the others listen
/// and connects to them (`scouting.gossip.*`). Captured from 1.10.2 peers:
///
///   OAM `df 01 21 08 <len> <LinkStateList>`, list = zint count, then each
///   LinkState: options zint (0x01 zid, 0x02 whatami, 0x04 locators,
///   0x08 link weights, 0x10 gateway) | psid zint | sn zint | [zid: zint
///   length + bytes] | [whatami u8 as a *bitmap*: 1 router, 2 peer, 4 client]
///   | [locators: zint count, strings] | links: zint count, zint psids |
///   [weights: one u16 (zint) per link].
///
/// `psid` is the sender's own index for the node: a later entry without a
/// ZID refers to a node by it. Gossip (not link-state routing) leaves the
/// link lists empty.
public struct LinkState: Equatable, Sendable {
    public static let optionZID: UInt64 = 0x01
    public static let optionWhatAmI: UInt64 = 0x02
    public static let optionLocators: UInt64 = 0x04
    public static let optionWeights: UInt64 = 0x08
    public static let optionGateway: UInt64 = 0x10

    public var psid: UInt64
    public var sn: UInt64
    public var zid: ZenohID?
    public var whatAmI: WhatAmI?
    public var locators: [String]?
    public var links: [UInt64]
    /// One per link when present.
    public var weights: [UInt16]?
    public var isGateway: Bool

    public init(psid: UInt64, sn: UInt64, zid: ZenohID? = nil, whatAmI: WhatAmI? = nil, locators: [String]? = nil,
                links: [UInt64] = [], weights: [UInt16]? = nil, isGateway: Bool = false) {
        self.psid = psid
        self.sn = sn
        self.zid = zid
        self.whatAmI = whatAmI
        self.locators = locators
        self.links = links
        self.weights = weights
        self.isGateway = isGateway
    }

    /// Throws `.invalidValue` when `weights` is present with a count other than the links'.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var options: UInt64 = 0
        if zid != nil { options |= Self.optionZID }
        if whatAmI != nil { options |= Self.optionWhatAmI }
        if locators != nil { options |= Self.optionLocators }
        if weights != nil { options |= Self.optionWeights }
        if isGateway { options |= Self.optionGateway }
        try w.writeZInt(options)
        try w.writeZInt(psid)
        try w.writeZInt(sn)
        if let zid { try w.writeZIDWithLength(zid) }
        if let whatAmI { try w.writeByte(whatAmI.matcherBit) }
        if let locators {
            try w.writeZInt(UInt64(locators.count))
            for l in locators { try w.writeString(l) }
        }
        try w.writeZInt(UInt64(links.count))
        for l in links { try w.writeZInt(l) }
        if let weights {
            guard weights.count == links.count else { throw .invalidValue("LINK_STATE.weights") }
            for x in weights { try w.writeZInt(UInt64(x)) }
        }
    }

    /// Counts larger than the bytes left are `.truncated`; a whatami that is
    /// not exactly one of the three bits is `.invalidValue`.
    public static func decode(from r: inout WireReader) throws(DecodeError) -> LinkState {
        let options = try r.readZInt("LINK_STATE.options")
        var s = LinkState(psid: try r.readZInt("LINK_STATE.psid"), sn: try r.readZInt("LINK_STATE.sn"))
        if options & optionZID != 0 { s.zid = try r.readZIDWithLength("LINK_STATE.zid") }
        if options & optionWhatAmI != 0 {
            let bit = try r.readByte("LINK_STATE.whatami")
            guard let kind = WhatAmI.allCases.first(where: { $0.matcherBit == bit }) else {
                throw DecodeError(.invalidValue, "LINK_STATE.whatami", value: UInt64(bit))
            }
            s.whatAmI = kind
        }
        if options & optionLocators != 0 {
            let count = try r.readZInt("LINK_STATE.locators")
            guard count <= UInt64(r.remaining) else { throw DecodeError(.truncated, "LINK_STATE.locators", value: count) }
            var locators: [String] = []
            for _ in 0..<count { locators.append(try r.readString("LINK_STATE.locator")) }
            s.locators = locators
        }
        let linkCount = try r.readZInt("LINK_STATE.links")
        guard linkCount <= UInt64(r.remaining) else { throw DecodeError(.truncated, "LINK_STATE.links", value: linkCount) }
        for _ in 0..<linkCount { s.links.append(try r.readZInt("LINK_STATE.link")) }
        if options & optionWeights != 0 {
            var weights: [UInt16] = []
            for _ in 0..<linkCount { weights.append(try r.readZInt(UInt16.self, "LINK_STATE.weight")) }
            s.weights = weights
        }
        s.isGateway = options & optionGateway != 0
        return s
    }
}

/// The list an OAM link-state message carries.
public struct LinkStateList: Equatable, Sendable {
    /// The network OAM id of gossip / link-state messages.
    public static let oamID: UInt16 = 0x0001

    public var states: [LinkState]

    public init(_ states: [LinkState]) {
        self.states = states
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        try w.writeZInt(UInt64(states.count))
        for s in states { try s.encode(into: &w) }
    }

    /// The OAM body's bytes; a count larger than the bytes left is `.truncated`.
    public static func decode(_ bytes: ZBytes) throws(DecodeError) -> LinkStateList {
        var r = WireReader(bytes)
        let count = try r.readZInt("LINK_STATE_LIST.count")
        guard count <= UInt64(r.remaining) else { throw DecodeError(.truncated, "LINK_STATE_LIST.count", value: count) }
        var states: [LinkState] = []
        for _ in 0..<count { states.append(try LinkState.decode(from: &r)) }
        return LinkStateList(states)
    }

    /// The network message that carries this list, as 1.10.2 peers send it
    /// (Control priority, Block: QoS byte 0x08).
    public func oam() throws(EncodeError) -> NetworkOAM {
        let bytes = try [UInt8].encoding(capacity: 1 << 16) { (w: inout WireWriter) throws(EncodeError) in try encode(into: &w) }
        return NetworkOAM(id: Self.oamID, body: .bytes(bytes[...]), qos: .declare)
    }
}
