import PetrelTime

/// DECLARE (§9.5): one declaration (key expression, subscriber, queryable,
/// token, their undeclarations, or the final of an Interest's answer).
///
/// Wire order: `header(0x1E + I + Z) | [interest_id] | [extensions] | declaration`:
/// unlike most messages the extensions come *before* the body.
public struct Declare: Equatable, Sendable {
    public static let id: UInt8 = 0x1E
    static let flagI: UInt8 = 0x20

    /// Set (I flag) only on declarations that answer an Interest's "current"
    /// part, and on their D_FINAL.
    public var interestID: UInt32?
    public var qos: NetworkQoS
    public var timestamp: Timestamp?
    /// Router-to-router only; 0 (the origin) is never sent.
    public var nodeID: UInt16
    /// Unknown extensions of the DECLARE itself.
    public var unknownExtensions: [ZExtension]
    public var declaration: Declaration
    /// Unknown extensions of the declaration (they follow its own header).
    public var declarationUnknownExtensions: [ZExtension]

    public init(declaration: Declaration, interestID: UInt32? = nil, qos: NetworkQoS = .default,
                timestamp: Timestamp? = nil, nodeID: UInt16 = 0, unknownExtensions: [ZExtension] = [],
                declarationUnknownExtensions: [ZExtension] = []) {
        self.declaration = declaration
        self.interestID = interestID
        self.qos = qos
        self.timestamp = timestamp
        self.nodeID = nodeID
        self.unknownExtensions = unknownExtensions
        self.declarationUnknownExtensions = declarationUnknownExtensions
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        var header = Self.id
        if interestID != nil { header |= Self.flagI }
        var exts = try w.writeHeader(header)
        if let interestID { try w.writeZInt(UInt64(interestID)) }
        if !qos.isDefault { try exts.write(NetworkExtension.qos, UInt64(qos.rawValue), into: &w) }
        if let timestamp { try exts.write(NetworkExtension.timestamp, timestamp, into: &w) }
        if nodeID != 0 { try exts.write(NetworkExtension.nodeID, UInt64(nodeID), into: &w) }
        try exts.write(unknown: unknownExtensions, into: &w)
        try declaration.encode(into: &w, unknownExtensions: declarationUnknownExtensions)
    }

    /// Decodes the message after `header` (already read).
    public static func decode(header: UInt8, from r: inout WireReader) throws(DecodeError) -> Declare {
        var interestID: UInt32?
        if header & flagI != 0 { interestID = try r.readZInt(UInt32.self, "DECLARE.interestID") }
        var qos = NetworkQoS.default
        var timestamp: Timestamp?
        var nodeID: UInt16 = 0
        var unknown: [ZExtension] = []
        var more = header & Header.z != 0
        while more {
            let e = try r.readExtension("DECLARE.extension")
            more = e.more
            switch e.key {
            case NetworkExtension.qos: qos = try NetworkQoS.decode(e, "DECLARE.qos")
            case NetworkExtension.timestamp: timestamp = try Timestamp.decodeExtensionBody(e.bytes, "DECLARE.timestamp")
            case NetworkExtension.nodeID:
                guard e.zint <= UInt64(UInt16.max) else { throw DecodeError(.valueOutOfRange, "DECLARE.nodeID", value: e.zint) }
                nodeID = UInt16(e.zint)
            default: try WireReader.unknownExtension(e, "DECLARE", into: &unknown)
            }
        }
        var declarationUnknown: [ZExtension] = []
        let declaration = try Declaration.decode(from: &r, unknownExtensions: &declarationUnknown)
        return Declare(declaration: declaration, interestID: interestID, qos: qos, timestamp: timestamp, nodeID: nodeID,
                       unknownExtensions: unknown, declarationUnknownExtensions: declarationUnknown)
    }
}
