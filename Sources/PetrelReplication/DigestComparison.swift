import PetrelAlignment

/// Whether two digests show a difference in the eras both sides keep.
enum AlignmentDigestComparison {
    static func differ(_ mine: AlignmentDigest, _ theirs: AlignmentDigest, eras: Set<AlignmentEra>) -> Bool {
        mine.encoded() != theirs.encoded()
    }
}
