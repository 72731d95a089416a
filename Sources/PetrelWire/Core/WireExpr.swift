/// A key expression as it travels (§11): a numeric scope (an id declared with
/// D_KEYEXPR, or 0 for none), a suffix appended to the scope's text, and whose
/// id table the scope belongs to.
public struct WireExpr: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Whose declarations define `scope` (the M flag).
    public enum Mapping: Sendable, Equatable, Hashable {
        /// M=0: the id was declared by the receiver of the message.
        case receiver
        /// M=1: the id was declared by the sender of the message.
        case sender
    }

    public var scope: UInt16
    /// Appended to the scope's text by plain concatenation; empty means "no suffix" (N=0).
    public var suffix: String
    public var mapping: Mapping

    
    public init(scope: UInt16 = 0, suffix: String = "", mapping: Mapping = .sender) {
        self.scope = scope
        self.suffix = suffix
        self.mapping = mapping
    }

    /// A full key with no scope, as a minimal client sends it (M=1 like Rust clients).
    
    public init(_ key: String) {
        self.init(scope: 0, suffix: key, mapping: .sender)
    }

    public var hasSuffix: Bool { !suffix.isEmpty }

    public var description: String {
        scope == 0 ? suffix : "[\(scope)\(mapping == .sender ? "s" : "r")]\(suffix)"
    }
}

extension WireWriter {
    /// Writes `zint scope | [string suffix]`; the N and M flags live in the
    /// caller's header byte.
    
    public mutating func writeWireExprBody(_ e: WireExpr) throws(EncodeError) {
        try writeZInt(UInt64(e.scope))
        if e.hasSuffix {
            guard e.suffix.utf8.count <= Int(UInt16.max) else { throw .invalidValue("WireExpr.suffix") }
            try writeString(e.suffix)
        }
    }
}

extension WireReader {
    
    public mutating func readWireExpr(hasSuffix: Bool, mapping: WireExpr.Mapping, _ field: StaticString) throws(DecodeError) -> WireExpr {
        let scope = try readZInt(UInt16.self, field)
        let suffix = hasSuffix ? try readString(field, maxLength: UInt64(UInt16.max)) : ""
        return WireExpr(scope: scope, suffix: suffix, mapping: mapping)
    }
}

/// The QoS extension of network messages (`21`, §9.1): priority, congestion
/// control, express. The default (Data, Drop, not express) is omitted on the wire.
public struct NetworkQoS: Equatable, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    
    public init(priority: Priority = .data, congestionControl: CongestionControl = .drop, express: Bool = false) {
        rawValue = priority.rawValue
            | (congestionControl == .block ? 0x08 : 0)
            | (express ? 0x10 : 0)
    }

    public enum CongestionControl: Sendable, Equatable {
        /// The router may drop the message under congestion (the default for puts).
        case drop
        /// The router waits for room rather than drop (what reliable data wants).
        case block
    }

    public static let `default` = NetworkQoS(rawValue: 0x05)
    /// Control priority + Block: what Rust puts on declarations and interests.
    public static let declare = NetworkQoS(rawValue: 0x08)
    /// Data + Block: what Rust puts on requests and responses.
    public static let request = NetworkQoS(rawValue: 0x0D)

    public var priority: Priority { Priority(rawValue: rawValue & 0x07)! }
    public var congestionControl: CongestionControl { rawValue & 0x08 != 0 ? .block : .drop }
    public var isExpress: Bool { rawValue & 0x10 != 0 }
    public var isDefault: Bool { rawValue == 0x05 }

    
    public static func decode(_ e: ExtensionRead, _ field: StaticString) throws(DecodeError) -> NetworkQoS {
        guard e.zint <= UInt64(UInt8.max) else { throw DecodeError(.valueOutOfRange, field, value: e.zint) }
        return NetworkQoS(rawValue: UInt8(e.zint))
    }
}
