/// When a counter of repeated trouble (refused samples, failed writes) is
/// worth a log line: its first occurrence, then each time it passes another
/// thousand. The counters themselves are in the admin space; the log only has
/// to say that it is happening, not flood a board's journal.
enum LogThrottle {
    /// Whether moving a counter from `before` to `after` (> before) deserves a line.
    static func shouldLog(from before: UInt64, to after: UInt64) -> Bool {
        before == 0 || before / 1000 != after / 1000
    }
}
