/// Cuts the byte stream from a serial device into lines.
///
/// A line ends at `\n`, `\r` or `\r\n` (devices use all three; `\r\n` counts
/// once even when its two bytes arrive in different reads). The terminator is
/// not part of the line. A line longer than `maxLineLength` bytes is not
/// delivered: the framer reports it once, then discards bytes up to the next
/// terminator, so a device spewing bytes without newlines (wrong baud rate,
/// binary protocol) costs bounded memory and never yields a giant sample.
public struct LineFramer: Sendable {
    /// What feeding bytes produces, in stream order.
    public enum Event: Equatable, Sendable {
        /// A complete line (may be empty: two terminators in a row).
        case line(ArraySlice<UInt8>)
        /// A line exceeded `maxLineLength` and is being dropped.
        case overlong
    }

    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    private var discarding = false
    private var afterCR = false

    public init(maxLineLength: Int = 4096) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
        buffer.reserveCapacity(maxLineLength)
    }

    /// Bytes of an unfinished line held since the last terminator.
    public var pendingByteCount: Int { buffer.count }

    /// Forgets a partial line (after the port was lost: what follows on the
    /// new connection does not continue it).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        discarding = false
        afterCR = false
    }

    /// Feeds bytes; `body` sees each event as it completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Event) -> Void) {
        var i = 0
        let n = bytes.count
        while i < n {
            if afterCR {
                afterCR = false
                if bytes[i] == 0x0A { i += 1; continue }
            }
            // Find the next terminator.
            var j = i
            while j < n && bytes[j] != 0x0A && bytes[j] != 0x0D { j += 1 }
            let segment = j - i
            if !discarding {
                if buffer.count + segment > maxLineLength {
                    discarding = true
                    buffer.removeAll(keepingCapacity: true)
                    body(.overlong)
                } else if segment > 0 {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                }
            }
            guard j < n else { return }
            // A terminator.
            if bytes[j] == 0x0D { afterCR = true }
            if discarding {
                discarding = false
            } else {
                body(.line(buffer[...]))
            }
            buffer.removeAll(keepingCapacity: true)
            i = j + 1
        }
    }

    /// Convenience for tests and tools: feeds an array, returns the events.
    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        bytes.withUnsafeBytes { raw in feed(raw) { events.append($0) } }
        return events
    }
}
