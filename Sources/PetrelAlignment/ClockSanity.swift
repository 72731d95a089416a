import PetrelTime

/// The drift rule of Zenoh's hybrid logical clock (uhlc, `HybridLogicalClock.update(with:)`),
/// as a pure function so that entries learnt through alignment are judged like live samples:
/// a remote time more than `maxDelta` ahead of local physical time is refused (exactly
/// `maxDelta` ahead is accepted). Refuse and count such entries instead of storing them: one
/// clock far in the future would otherwise win every last-writer-wins race for ever.
public enum ClockSanity {
    /// uhlc's default max delta, 500 ms.
    public static let defaultMaxDeltaMillis: UInt64 = 500

    /// Whether `time` is more than `maxDeltaMillis` ahead of `now` (the counter bits of `now`
    /// are cleared first, as the clock clears them).
    public static func isTooFarInFuture(_ time: NTP64, now: NTP64,
                                        maxDeltaMillis: UInt64 = defaultMaxDeltaMillis) -> Bool {
        let nowCleared = now.rawValue & ~HybridLogicalClock.counterMask
        let maxDelta = NTP64(duration: .milliseconds(Int64(clamping: maxDeltaMillis))).rawValue
        return time.rawValue > nowCleared && time.rawValue - nowCleared > maxDelta
    }

    /// The entries of `entries` that pass the check, and those refused.
    public static func partition(_ entries: [AlignmentEntry], now: NTP64,
                                 maxDeltaMillis: UInt64 = defaultMaxDeltaMillis)
        -> (accepted: [AlignmentEntry], refused: [AlignmentEntry]) {
        var accepted: [AlignmentEntry] = [], refused: [AlignmentEntry] = []
        for e in entries {
            if isTooFarInFuture(e.timestamp.time, now: now, maxDeltaMillis: maxDeltaMillis) {
                refused.append(e)
            } else {
                accepted.append(e)
            }
        }
        return (accepted, refused)
    }
}
