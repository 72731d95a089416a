import PetrelKeyExpr

/// What one serial sensor bridge reads, how it parses it, and where the
/// readings go. The agent fills it from a `serial` config entry; tools and
/// tests build it directly.
public struct SerialBridgeSettings: Sendable, Equatable {
    /// The device path (`/dev/ttyUSB0`, `/dev/serial/by-id/...`, a socat link).
    public var port: String
    public var baudrate: Int = 115_200
    public var format: SerialFormat = .lines
    /// Where readings are published: the key itself (`lines`) or `key/name`.
    /// Must not hold wildcards.
    public var key: KeyExpr
    /// Samples put here are written to the device (default `key/tx`).
    public var txKey: KeyExpr
    /// `csv` column names; empty means the device's first line is the header.
    public var columns: [String] = []
    /// The `csv` field separator.
    public var separator: Character = ","
    /// Longer lines are dropped and counted (a device at the wrong baud rate
    /// produces endless lines of noise).
    public var maxLineLength = 4096
    /// Back-off between attempts to (re)open a missing port: doubles from the
    /// initial to the maximum delay, back to the initial once the port has
    /// stayed open a while.
    public var initialReconnectDelay: Duration = .milliseconds(100)
    public var maxReconnectDelay: Duration = .seconds(2)
    /// Readings parsed but not yet handed to the session. When full, the
    /// bridge stops reading the port until there is room: the bytes wait in
    /// the driver's buffer (and a pty's writer blocks) instead of being
    /// dropped here.
    public var maxQueuedReadings = 10_000
    /// Bytes waiting to be written to the device; writes beyond are dropped
    /// and counted (a device that reads nothing must not grow memory).
    public var maxPendingTxBytes = 64 * 1024

    public init(port: String, key: KeyExpr, format: SerialFormat = .lines, baudrate: Int = 115_200, txKey: KeyExpr? = nil) {
        self.port = port
        self.key = key
        self.format = format
        self.baudrate = baudrate
        // A non-wild key plus one plain chunk is always a valid key.
        self.txKey = txKey ?? ((try? key.join("tx")) ?? key)
    }
}
