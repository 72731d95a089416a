#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed: which one, on what, and its `errno`. Every
/// layer above turns it into its own error type (`OfflineLogError.system`,
/// `HotStoreError.system`), so this one stays small and neutral.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call ("open", "pwrite", "fdatasync", "pthread_create", ...).
    public var operation: String
    /// The file or directory it was about ("" when none).
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return path.isEmpty ? "\(operation) failed: \(reason) (errno \(errno))"
            : "\(operation) failed on \(path): \(reason) (errno \(errno))"
    }
}

/// Retries a system call that failed with EINTR (a signal arrived meanwhile).
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
