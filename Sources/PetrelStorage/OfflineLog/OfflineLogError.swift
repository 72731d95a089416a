#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PetrelSystem

/// What can go wrong with the offline log. Errors a user or the machine causes
/// (unwritable directory, disk full, bad configuration) are values whose
/// `description` names the path and the reason; the log never traps on them.
public enum OfflineLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call on a file or directory of the log failed. `operation` is the
    /// call ("open", "pwrite", "fdatasync", ...), `errno` its error number.
    case system(operation: String, path: String, errno: Int32)
    /// The encoded record (`bytes`, frame included) is larger than the log can
    /// hold (`limit`: the byte quota, at most 64 MiB).
    case recordTooLarge(bytes: Int, limit: Int)
    /// An option of `OfflineLog.init` is out of range; the text says which.
    case invalidConfiguration(String)
    /// A record that was valid when the log was opened no longer is (the disk
    /// changed underneath): found while reading `path` at byte `offset`.
    case corruptRecord(path: String, offset: Int, reason: String)
    /// Another `OfflineLog` (in this or another process) has the directory
    /// open: two writers would corrupt each other's segments.
    case inUse(path: String)
    /// The log at `path` was closed, or an earlier failed fsync made its state
    /// on disk unknown (Linux may drop the dirty pages after a failed fsync, so
    /// retrying could report data durable that is not); reopen it.
    case closed(path: String)

    /// The path the error is about.
    public var path: String {
        switch self {
        case .system(_, let path, _), .corruptRecord(let path, _, _), .closed(let path), .inUse(let path): return path
        case .recordTooLarge, .invalidConfiguration: return ""
        }
    }

    /// True when the disk (or the file size limit) is full: the caller may free
    /// space or wait, and retry.
    public var isDiskFull: Bool {
        if case .system(_, _, let code) = self { return code == ENOSPC || code == EDQUOT || code == EFBIG }
        return false
    }

    public var description: String {
        switch self {
        case .system(let operation, let path, let code):
            let reason = strerror(code).map { String(cString: $0) } ?? "error \(code)"
            return "offline log: \(operation) \(path): \(reason) (errno \(code))"
        case .recordTooLarge(let bytes, let limit):
            return "offline log: record of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case .invalidConfiguration(let text):
            return "offline log: invalid configuration: \(text)"
        case .corruptRecord(let path, let offset, let reason):
            return "offline log: corrupt record in \(path) at byte \(offset): \(reason)"
        case .inUse(let path):
            return "offline log: \(path) is in use by another process (or another log in this one)"
        case .closed(let path):
            return "offline log: \(path) is closed (or failed to sync); reopen it"
        }
    }
}

extension OfflineLogError {
    /// The log's error for a failed call of the system layer.
    init(_ error: SystemCallError) {
        self = .system(operation: error.operation, path: error.path, errno: error.errno)
    }
}

/// Runs calls of the system layer (PetrelSystem), reporting their failure as
/// the log's own error, which names the same call, path and errno.
@inline(__always)
func systemCall<T>(_ body: () throws(SystemCallError) -> T) throws(OfflineLogError) -> T {
    do throws(SystemCallError) {
        return try body()
    } catch {
        throw OfflineLogError(error)
    }
}
