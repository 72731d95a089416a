import PetrelWire

/// The sequence-number space a session negotiated (zenoh-wire.md §8): SNs are
/// zints bounded so they never need more bytes than the resolution allows, and
/// wrap modulo `mask + 1`.
public struct SequenceNumberSpace: Sendable, Equatable {
    public let mask: UInt64

    /// The space for the frame-SN bits (0-1) of an Init resolution byte.
    public init(resolution: UInt8) {
        switch resolution & 0x03 {
        case 0: mask = 0x7F
        case 1: mask = 0x3FFF
        case 2: mask = 0x0FFF_FFFF
        default: mask = (1 << 63) - 1
        }
    }

    @inlinable public func next(_ sn: UInt64) -> UInt64 { (sn &+ 1) & mask }
    @inlinable public func previous(_ sn: UInt64) -> UInt64 { (sn &- 1) & mask }

    /// How far `sn` is ahead of `last`, modulo the space.
    @inlinable public func gap(from last: UInt64, to sn: UInt64) -> UInt64 { (sn &- last) & mask }

    /// Zenoh's receiver rule: a SN is new when it is ahead of the last one by
    /// at most half the space; otherwise it is a duplicate or stale and is dropped.
    @inlinable public func isNew(_ sn: UInt64, after last: UInt64) -> Bool {
        let g = gap(from: last, to: sn)
        return g > 0 && g <= mask >> 1
    }
}

/// The index of one of the 16 channels of a QoS session: 8 priorities, each
/// with a reliable and a best-effort SN counter.
struct ChannelIndex: Hashable {
    let rawValue: Int
    init(rawValue: Int) { self.rawValue = rawValue }
    init(priority: Priority, reliability: Reliability) {
        rawValue = Int(priority.rawValue) * 2 + (reliability == .reliable ? 1 : 0)
    }
    var priority: Priority { Priority(rawValue: UInt8(rawValue / 2)) ?? .data }
    var reliability: Reliability { rawValue & 1 == 1 ? .reliable : .bestEffort }
    static let count = 16
}
