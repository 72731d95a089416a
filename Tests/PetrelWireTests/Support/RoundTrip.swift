import Testing
import PetrelWire

/// Runs `count` random round trips: make an instance with `make`, encode it,
/// decode it, and require equality and that the decoder consumed every byte.
/// On failure the seed and the iteration are printed so the case can be replayed
/// with `PETREL_SEED=<seed>`.
func roundTrip<M: Equatable>(
    _ name: String, count: Int = 2000, seed: UInt64 = SeededRandom.testSeed,
    make: (inout SeededRandom) -> M,
    encode: (M, inout WireWriter) throws(EncodeError) -> Void,
    decode: (inout WireReader) throws(DecodeError) -> M,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var rng = SeededRandom(seed: seed)
    for i in 0..<count {
        let message = make(&rng)
        let bytes: [UInt8]
        do {
            bytes = try encoded { (w: inout WireWriter) throws(EncodeError) in try encode(message, &w) }
        } catch {
            Issue.record("\(name) #\(i) (PETREL_SEED=\(seed)): encode failed: \(error)\n\(message)", sourceLocation: sourceLocation)
            return
        }
        var r = WireReader(bytes)
        do {
            let back = try decode(&r)
            if back != message || !r.isAtEnd {
                Issue.record("""
                    \(name) #\(i) (PETREL_SEED=\(seed)): round trip differs (consumed \(r.index) of \(bytes.count))
                    sent:    \(message)
                    decoded: \(back)
                    bytes:   \(bytes.hex)
                    """, sourceLocation: sourceLocation)
                return
            }
        } catch {
            Issue.record("\(name) #\(i) (PETREL_SEED=\(seed)): decode failed: \(error)\nbytes: \(bytes.hex)\n\(message)", sourceLocation: sourceLocation)
            return
        }
    }
}
