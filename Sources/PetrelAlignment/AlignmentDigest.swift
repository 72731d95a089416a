/// The small summary a side publishes periodically and compares on link-up: the
/// fingerprints of its hot, warm and cold eras at one settled boundary (the current era is
/// not settled, so it is left out). Equal digests mean in sync; a mismatched era says
/// which reconciliation to run. 40–50 bytes encoded (docs/alignment.md).
public struct AlignmentDigest: Sendable, Equatable {
    public var subIntervalMillis: UInt64
    public var subIntervalsPerInterval: UInt64
    public var hotIntervals: UInt64
    public var warmIntervals: UInt64
    /// The first unsettled sub-interval when the digest was taken.
    public var settledEnd: UInt64
    public var hot: AlignmentFingerprint
    public var warm: AlignmentFingerprint
    public var cold: AlignmentFingerprint

    public init(layout: AlignmentLayout, settledEnd: UInt64, hot: AlignmentFingerprint,
                warm: AlignmentFingerprint, cold: AlignmentFingerprint) {
        subIntervalMillis = layout.subIntervalMillis
        subIntervalsPerInterval = UInt64(max(0, layout.subIntervalsPerInterval))
        hotIntervals = UInt64(max(0, layout.hotIntervals))
        warmIntervals = UInt64(max(0, layout.warmIntervals))
        self.settledEnd = settledEnd
        self.hot = hot
        self.warm = warm
        self.cold = cold
    }

    static let tag: UInt8 = 0x10

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u8(Self.tag)
        w.zint(subIntervalMillis)
        w.zint(subIntervalsPerInterval)
        w.zint(hotIntervals)
        w.zint(warmIntervals)
        w.zint(settledEnd)
        for fp in [hot, warm, cold] {
            w.zint(fp.count)
            w.u64(fp.sum)
        }
        return w.bytes
    }

    /// Throws `AlignmentMessageError` on anything but one well-formed digest.
    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        let tag = try r.u8("digest tag")
        guard tag == Self.tag else {
            throw AlignmentMessageError.invalid(field: "digest tag", offset: 0, reason: "0x\(String(tag, radix: 16)) is not a digest (0x10)")
        }
        subIntervalMillis = try r.zint("subIntervalMillis")
        subIntervalsPerInterval = try r.zint("subIntervalsPerInterval")
        hotIntervals = try r.zint("hotIntervals")
        warmIntervals = try r.zint("warmIntervals")
        settledEnd = try r.zint("settledEnd")
        var fps: [AlignmentFingerprint] = []
        for _ in 0..<3 {
            let c = try r.zint("era count")
            let s = try r.u64("era fingerprint")
            fps.append(AlignmentFingerprint(count: c, sum: s))
        }
        hot = fps[0]
        warm = fps[1]
        cold = fps[2]
        try r.expectEnd()
    }

    /// Whether both digests cut time the same way (else every era compares as mismatched).
    public func hasSameLayout(as other: AlignmentDigest) -> Bool {
        subIntervalMillis == other.subIntervalMillis && subIntervalsPerInterval == other.subIntervalsPerInterval
            && hotIntervals == other.hotIntervals && warmIntervals == other.warmIntervals
    }

    /// The eras whose fingerprints differ. Compare digests taken at the same `settledEnd`
    /// (`AlignmentIndex.digest(settledEnd: peer.settledEnd)`); otherwise eras are cut at
    /// different places and entries near the boundaries show up as mismatches.
    public func mismatchedEras(comparedWith other: AlignmentDigest) -> Set<AlignmentEra> {
        guard hasSameLayout(as: other), settledEnd == other.settledEnd else { return [.hot, .warm, .cold] }
        var out: Set<AlignmentEra> = []
        if hot != other.hot { out.insert(.hot) }
        if warm != other.warm { out.insert(.warm) }
        if cold != other.cold { out.insert(.cold) }
        return out
    }

    public func fingerprint(of era: AlignmentEra) -> AlignmentFingerprint? {
        switch era {
        case .hot: return hot
        case .warm: return warm
        case .cold: return cold
        case .current: return nil
        }
    }
}

extension AlignmentIndex {
    /// This index's digest cut at the same boundary as a peer's, ready to compare.
    public func digest(alignedWith peer: AlignmentDigest) -> AlignmentDigest {
        digest(settledEnd: peer.settledEnd)
    }
}
