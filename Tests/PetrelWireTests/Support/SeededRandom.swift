import PetrelTestSupport
import PetrelTime
import PetrelWire

/// The wire tests' random source: the shared SplitMix64, with generators for
/// every message part added below and in RandomMessages+*.swift.
typealias SeededRandom = SplitMix64

extension SplitMix64 {
    /// The seed for this run: `PETREL_SEED` if set (to replay a failure), else a fixed default.
    static var testSeed: UInt64 { testSeed(default: 0x5EED_0F_9E78E1) }

    mutating func bool() -> Bool { next() & 1 == 1 }
    mutating func chance(_ oneIn: UInt64) -> Bool { next() % oneIn == 0 }

    /// A zint value biased towards the interesting sizes (1, 2, 4, 9 bytes).
    mutating func zint<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = UInt64.self) -> T {
        let bits = [7, 8, 14, 21, 28, 32, 35, 56, 63, 64][int(0...9)]
        let limit = bits >= T.bitWidth ? T.max : (T(1) << T(bits)) - 1
        return T.random(in: 0...limit, using: &self)
    }

    mutating func bytes(_ maxCount: Int = 40) -> ZBytes {
        let n = chance(20) ? int(0...300) : int(0...maxCount)
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) }[...]
    }

    /// A key-expression-like string (non-empty).
    mutating func keyString() -> String {
        let chunks = ["demo", "example", "a", "b", "**", "*", "sensor", "temp", "pi1", "é", "x$*y"]
        let n = int(1...5)
        return (0..<n).map { _ in chunks[int(0...chunks.count - 1)] }.joined(separator: "/")
    }

    mutating func zid() -> ZenohID {
        // Any length 1...16, never zero, never with a zero top byte (canonical wire form).
        let len = int(1...16)
        var b = (0..<len).map { _ in UInt8.random(in: 0...255, using: &self) }
        b[len - 1] = UInt8.random(in: 1...255, using: &self)
        return ZenohID(wireBytes: b)!
    }

    mutating func timestamp() -> Timestamp {
        Timestamp(time: NTP64(rawValue: zint()), id: zid())
    }

    mutating func encoding() -> Encoding {
        Encoding(id: chance(3) ? 0 : zint(UInt16.self), schema: chance(3) ? "schema\(int(0...99))" : nil)
    }

    mutating func wireExpr() -> WireExpr {
        let hasSuffix = !chance(4)
        return WireExpr(scope: chance(2) ? 0 : zint(UInt16.self),
                        suffix: hasSuffix ? keyString() : "",
                        mapping: bool() ? .sender : .receiver)
    }

    mutating func sourceInfo() -> SourceInfo {
        SourceInfo(zid: zid(), entityID: zint(UInt32.self), sequenceNumber: zint(UInt32.self))
    }

    mutating func networkQoS() -> NetworkQoS {
        chance(2) ? .default : NetworkQoS(rawValue: UInt8.random(in: 0...0x3F, using: &self))
    }

    /// Unknown, optional extensions whose keys collide with none of `known`.
    mutating func unknownExtensions(avoiding known: Set<UInt8>) -> [ZExtension] {
        guard chance(4) else { return [] }
        var out: [ZExtension] = []
        for _ in 0..<int(1...3) {
            var e: ZExtension
            repeat {
                let body: ZExtension.Body
                switch int(0...2) {
                case 0: body = .unit
                case 1: body = .zint(zint())
                default: body = .bytes(bytes())
                }
                e = ZExtension(id: UInt8(int(0...15)), isMandatory: false, body: body)
            } while known.contains(e.key)
            out.append(e)
        }
        return out
    }
}

@inline(never)
func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

#if canImport(Glibc)
import Glibc
#endif

/// Encodes with `body` into a buffer of `capacity` bytes.
func encoded(capacity: Int = 1 << 20, _ body: (inout WireWriter) throws(EncodeError) -> Void) throws -> [UInt8] {
    try [UInt8].encoding(capacity: capacity, body)
}

/// Hex helpers for vectors and failure messages.
extension Array where Element == UInt8 {
    init?(hex: String) {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var it = hex.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        while let hi = it.next() {
            guard let lo = it.next(), let h = nibble(hi), let l = nibble(lo) else { return nil }
            out.append(h << 4 | l)
        }
        self = out
    }

    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
