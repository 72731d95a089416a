import PetrelWire

/// Reassembles one channel's fragments into a network message (zenoh-wire.md §14).
///
/// Fragments of one message arrive with consecutive SNs; a gap means a part was
/// lost and the partial message is thrown away. With patch ≥ 1 the first
/// fragment carries a First marker, so a fragment that continues nothing is
/// discarded, and a Drop marker abandons the message. A message larger than
/// `maxMessageSize` is rejected instead of growing memory without bound.
struct Reassembly {
    private(set) var buffer: [UInt8] = []
    private var expectedSN: UInt64? = nil
    private var active = false

    enum Outcome: Equatable {
        /// More fragments are needed.
        case pending
        /// The fragment was discarded (out of sequence or continuing nothing).
        case discarded
        /// The message is whole.
        case complete([UInt8])
        /// The message grew past the limit; the partial message was dropped.
        case tooLarge
    }

    mutating func reset() {
        buffer.removeAll(keepingCapacity: false)
        expectedSN = nil
        active = false
    }

    mutating func accept(_ f: Fragment, patch: Bool, space: SequenceNumberSpace, maxMessageSize: Int) -> Outcome {
        if f.drop {
            reset()
            return .discarded
        }
        if patch {
            if f.first {
                reset()
                active = true
            } else if !active {
                return .discarded
            }
        } else if !active {
            active = true
        }
        if let expected = expectedSN, expected != f.sn {
            // A lost fragment: what we hold cannot become the message. A first
            // fragment (patch) restarts; without patch this fragment starts anew.
            reset()
            if patch && !f.first { return .discarded }
            active = true
        }
        guard buffer.count + f.payload.count <= maxMessageSize else {
            reset()
            return .tooLarge
        }
        buffer.append(contentsOf: f.payload)
        expectedSN = space.next(f.sn)
        if f.more { return .pending }
        let whole = buffer
        reset()
        return .complete(whole)
    }
}
