/// An order-independent fingerprint of a set of entries: how many, and the sum of their
/// IDs modulo 2^64. Adding or removing one entry is O(1), fingerprints of disjoint sets
/// add up (an interval is the sum of its sub-intervals), and two sets with the same
/// fingerprint are equal except with probability ~2^-64.
///
/// A sum rather than a XOR: with XOR an entry present twice cancels out, and the sum
/// also lets the initiator verify a decoded difference (theirs = ours − ours-only + theirs-only).
public struct AlignmentFingerprint: Hashable, Sendable, CustomStringConvertible {
    public var count: UInt64
    public var sum: UInt64

    public init(count: UInt64 = 0, sum: UInt64 = 0) {
        self.count = count
        self.sum = sum
    }

    public static let empty = AlignmentFingerprint()

    public var isEmpty: Bool { count == 0 && sum == 0 }

    public mutating func insert(_ id: AlignmentEntryID) {
        count &+= 1
        sum &+= id.rawValue
    }

    public mutating func remove(_ id: AlignmentEntryID) {
        count &-= 1
        sum &-= id.rawValue
    }

    public static func + (a: AlignmentFingerprint, b: AlignmentFingerprint) -> AlignmentFingerprint {
        AlignmentFingerprint(count: a.count &+ b.count, sum: a.sum &+ b.sum)
    }

    public static func - (a: AlignmentFingerprint, b: AlignmentFingerprint) -> AlignmentFingerprint {
        AlignmentFingerprint(count: a.count &- b.count, sum: a.sum &- b.sum)
    }

    public static func += (a: inout AlignmentFingerprint, b: AlignmentFingerprint) { a = a + b }
    public static func -= (a: inout AlignmentFingerprint, b: AlignmentFingerprint) { a = a - b }

    public var description: String { "\(count)#\(String(sum, radix: 16))" }
}
