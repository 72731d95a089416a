import PetrelWire
import Testing
@testable import PetrelTransport

@Suite("Sequence numbers and reassembly")
struct SequenceNumberTests {
    @Test("SN masks follow the resolution (8/16/32/64-bit zint widths)")
    func masks() {
        #expect(SequenceNumberSpace(resolution: 0x00).mask == 0x7F)
        #expect(SequenceNumberSpace(resolution: 0x01).mask == 0x3FFF)
        #expect(SequenceNumberSpace(resolution: 0x0A).mask == 0x0FFF_FFFF)
        #expect(SequenceNumberSpace(resolution: 0x03).mask == UInt64(Int64.max))
    }

    @Test("new SNs are ahead by at most half the space; duplicates and stale ones are not")
    func window() {
        let s = SequenceNumberSpace(resolution: 0x00)  // mask 0x7F
        #expect(s.isNew(11, after: 10))
        #expect(s.isNew(10 + 63, after: 10))
        #expect(!s.isNew(10 + 64, after: 10))
        #expect(!s.isNew(10, after: 10))
        #expect(!s.isNew(9, after: 10))
        #expect(s.isNew(0, after: 0x7F))  // wraps
        #expect(s.next(0x7F) == 0)
    }

    private func fragment(_ sn: UInt64, _ bytes: [UInt8], more: Bool, first: Bool = false, drop: Bool = false) -> Fragment {
        Fragment(reliability: .reliable, more: more, sn: sn, first: first, drop: drop, payload: bytes[...])
    }

    @Test("fragments in sequence reassemble; a gap, a Drop or a size over the limit throws the message away")
    func reassembly() {
        let space = SequenceNumberSpace(resolution: 0x0A)
        var r = Reassembly()
        #expect(r.accept(fragment(5, [1, 2], more: true, first: true), patch: true, space: space, maxMessageSize: 100) == .pending)
        #expect(r.accept(fragment(6, [3], more: true), patch: true, space: space, maxMessageSize: 100) == .pending)
        #expect(r.accept(fragment(7, [4], more: false), patch: true, space: space, maxMessageSize: 100) == .complete([1, 2, 3, 4]))

        // A lost fragment (SN 9 missing): the partial message is dropped, the continuation discarded.
        #expect(r.accept(fragment(8, [1], more: true, first: true), patch: true, space: space, maxMessageSize: 100) == .pending)
        #expect(r.accept(fragment(10, [3], more: false), patch: true, space: space, maxMessageSize: 100) == .discarded)
        // With patch, a fragment that continues nothing is discarded.
        #expect(r.accept(fragment(11, [3], more: false), patch: true, space: space, maxMessageSize: 100) == .discarded)
        // Drop abandons.
        #expect(r.accept(fragment(12, [1], more: true, first: true), patch: true, space: space, maxMessageSize: 100) == .pending)
        #expect(r.accept(fragment(13, [], more: false, drop: true), patch: true, space: space, maxMessageSize: 100) == .discarded)
        // Oversized.
        #expect(r.accept(fragment(14, Array(repeating: 0, count: 60), more: true, first: true), patch: true, space: space, maxMessageSize: 100) == .pending)
        #expect(r.accept(fragment(15, Array(repeating: 0, count: 60), more: false), patch: true, space: space, maxMessageSize: 100) == .tooLarge)
        // Without patch (no First markers), a run simply starts at the first fragment seen.
        var plain = Reassembly()
        #expect(plain.accept(fragment(1, [9], more: true), patch: false, space: space, maxMessageSize: 100) == .pending)
        #expect(plain.accept(fragment(2, [8], more: false), patch: false, space: space, maxMessageSize: 100) == .complete([9, 8]))
    }
}
