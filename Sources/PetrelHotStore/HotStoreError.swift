/// A hot store's file could not be read or written.
public struct HotStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// A system call failed: which one, and its `errno`.
        case system(call: String, errno: Int32)
        /// The file exists but does not start with a hot store log header (it
        /// is left untouched).
        case notAHotStoreLog
        /// The store was closed.
        case closed
    }

    public var reason: Reason
    /// The file or directory concerned.
    public var path: String

    public init(_ reason: Reason, path: String) {
        self.reason = reason
        self.path = path
    }

    public var description: String {
        switch reason {
        case .system(let call, let errno): return "\(call) failed on \(path): errno \(errno)"
        case .notAHotStoreLog: return "\(path) is not a hot store log (bad header); not touching it"
        case .closed: return "hot store \(path) is closed"
        }
    }
}
