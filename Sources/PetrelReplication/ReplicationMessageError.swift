import PetrelAlignment

// The aligner's own messages (envelopes, entries) are framed with
// PetrelAlignment's ByteWriter/ByteReader: little-endian words, bounds-checked
// reads. Malformed bytes from a peer end in a `ReplicationMessageError`, never a trap.

/// Why a message from a peer could not be read.
public struct ReplicationMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed aligner message: \(reason)" }
}

extension ReplicationMessageError {
    /// Runs a decoder over the shared byte reader: its errors become this one.
    static func reading<T>(_ decode: () throws -> T) throws(ReplicationMessageError) -> T {
        do {
            return try decode()
        } catch let e as ReplicationMessageError {
            throw e
        } catch {
            throw ReplicationMessageError("\(error)")
        }
    }
}
