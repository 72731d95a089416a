/// Why a byte sequence could not be decoded. Decoders never trap on input:
/// every failure is one of these values, naming the field being read.
public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The bytes ended in the middle of a field.
        case truncated
        /// A zint ran past 9 bytes, or did not fit the field's width.
        case valueOutOfRange
        /// A string field was not UTF-8.
        case invalidUTF8
        /// An extension the receiver does not understand was marked mandatory.
        case unknownMandatoryExtension
        /// A message id that is not valid where it appeared.
        case unexpectedMessageID
        /// A field held a value the protocol forbids (e.g. a zero ZID, bad version).
        case invalidValue
    }

    public var kind: Kind
    /// The field or message being decoded, e.g. "PUSH.keyScope".
    public var field: StaticString
    /// The offending value where there is one (a message id, an extension header, a number).
    public var value: UInt64

    @inlinable
    public init(_ kind: Kind, _ field: StaticString, value: UInt64 = 0) {
        self.kind = kind
        self.field = field
        self.value = value
    }

    public static func == (a: DecodeError, b: DecodeError) -> Bool {
        a.kind == b.kind && a.value == b.value && a.field.description == b.field.description
    }

    public var description: String {
        switch kind {
        case .truncated: return "truncated input while reading \(field)"
        case .valueOutOfRange: return "value out of range in \(field) (\(value))"
        case .invalidUTF8: return "invalid UTF-8 in \(field)"
        case .unknownMandatoryExtension:
            return "unknown mandatory extension 0x\(String(value, radix: 16)) in \(field)"
        case .unexpectedMessageID: return "unexpected message id 0x\(String(value, radix: 16)) in \(field)"
        case .invalidValue: return "invalid value \(value) in \(field)"
        }
    }
}

/// Encoding writes into a fixed-capacity buffer owned by the caller; it never
/// grows it. When a message does not fit, encoding stops with this error and
/// the caller decides (flush the batch, fragment, or give up).
public enum EncodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message does not fit in the space left in the buffer.
    case doesNotFit
    /// A field's value cannot be represented on the wire (e.g. a key suffix
    /// longer than 65535 bytes, a zero expression id).
    case invalidValue(StaticString)

    public static func == (a: EncodeError, b: EncodeError) -> Bool {
        switch (a, b) {
        case (.doesNotFit, .doesNotFit): return true
        case let (.invalidValue(x), .invalidValue(y)): return x.description == y.description
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .doesNotFit: return "message does not fit in the remaining buffer space"
        case .invalidValue(let f): return "value of \(f) cannot be encoded"
        }
    }
}
