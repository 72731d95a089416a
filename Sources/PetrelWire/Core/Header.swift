/// The header byte every message starts with: bits 0-4 the message id,
/// bits 5-7 three flags whose meaning depends on the message (zenoh-wire.md §3).
public enum Header {
    public static let idMask: UInt8 = 0x1F
    /// Bit 5.
    public static let flag5: UInt8 = 0x20
    /// Bit 6.
    public static let flag6: UInt8 = 0x40
    /// Bit 7: almost always Z, "at least one extension follows".
    public static let z: UInt8 = 0x80

    @inlinable public static func id(_ header: UInt8) -> UInt8 { header & idMask }
    @inlinable public static func has(_ header: UInt8, _ flag: UInt8) -> Bool { header & flag != 0 }
}

/// What kind of node a Zenoh session belongs to.
public enum WhatAmI: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case router = 0
    case peer = 1
    case client = 2

    /// The bit of this kind in the `what` bitmap of a Scout (1 router, 2 peer, 4 client).
    public var matcherBit: UInt8 { 1 << rawValue }

    public var description: String {
        switch self {
        case .router: return "router"
        case .peer: return "peer"
        case .client: return "client"
        }
    }
}

/// Zenoh's eight priorities; Data (5) is the default.
public enum Priority: UInt8, Sendable, CaseIterable, Comparable {
    case control = 0
    case realTime = 1
    case interactiveHigh = 2
    case interactiveLow = 3
    case dataHigh = 4
    case data = 5
    case dataLow = 6
    case background = 7

    public static func < (a: Priority, b: Priority) -> Bool { a.rawValue < b.rawValue }
}

/// Reliability of a channel (the R flag of Frame and Fragment).
public enum Reliability: Sendable, Equatable {
    case reliable
    case bestEffort
}
