import PetrelAlignment

/// Whether a peer's digest shows a difference in the eras both sides keep.
enum AlignmentDigestComparison {
    /// `index`'s digest is cut at the peer's settled boundary first, so clocks
    /// that disagree a little (or digests published a moment apart) compare the
    /// same sub-intervals. The current era is in no digest: it is still
    /// settling, and is reconciled with the hot era whenever a reconciliation
    /// runs (link-up, or a settled difference).
    static func differ(_ index: borrowing AlignmentIndex, _ theirs: AlignmentDigest, eras: Set<AlignmentEra>) -> Bool {
        !index.digest(alignedWith: theirs).mismatchedEras(comparedWith: theirs).intersection(eras).isEmpty
    }
}
