#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Thin wrappers over the few system calls the log needs. Every failure becomes
// an `OfflineLogError.system` naming the call and the path.

/// An open file descriptor of a log file; closed when the last reference goes,
/// so a reader or syncer holding one never sees the descriptor reused under it,
/// even if the segment was deleted meanwhile (POSIX keeps unlinked open files).
final class SystemFile: Sendable {
    let descriptor: Int32
    let path: String

    /// Opens `path` for reading and writing, creating it (mode 0644) when `create`.
    init(path: String, create: Bool) throws(OfflineLogError) {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = retryingOnInterrupt { open(path, flags, 0o644) }
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    /// Opens `path` read-only.
    init(readingAt path: String) throws(OfflineLogError) {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    /// The file's size in bytes.
    func size() throws(OfflineLogError) -> Int {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw .system(operation: "fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    /// Writes all of `bytes` at `offset`. A partial write (disk full part way)
    /// throws; the caller truncates back to `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(OfflineLogError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "pwrite", path: path, errno: errno)
            }
            if n == 0 { throw .system(operation: "pwrite", path: path, errno: EIO) }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset` (see `write(_:at:)` above).
    func write(_ bytes: [UInt8], at offset: Int) throws(OfflineLogError) {
        let result: Result<Void, OfflineLogError> = bytes.withUnsafeBytes { raw in
            do throws(OfflineLogError) { try write(raw, at: offset); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset` into `buffer[start...]`; returns how
    /// many were read (fewer only at the end of the file).
    func read(into buffer: inout [UInt8], at start: Int, count: Int, offset: Int) throws(OfflineLogError) -> Int {
        precondition(start >= 0 && count >= 0 && start + count <= buffer.count)
        var done = 0
        var failure: Int32 = 0
        buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(descriptor, raw.baseAddress! + start + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                done += n
            }
        }
        if failure != 0 { throw .system(operation: "pread", path: path, errno: failure) }
        return done
    }

    /// Makes everything written so far durable (data and the size needed to
    /// read it back: `fdatasync`).
    func sync() throws(OfflineLogError) {
        guard retryingOnInterrupt({ fdatasync(descriptor) }) == 0 else {
            throw .system(operation: "fdatasync", path: path, errno: errno)
        }
    }

    /// Takes an exclusive advisory lock (`flock`) without waiting; false when
    /// another open file description holds it. Released when the file is closed.
    func tryLock() throws(OfflineLogError) -> Bool {
        if retryingOnInterrupt({ flock(descriptor, LOCK_EX | LOCK_NB) }) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw .system(operation: "flock", path: path, errno: errno)
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int) throws(OfflineLogError) {
        guard retryingOnInterrupt({ ftruncate(descriptor, off_t(length)) }) == 0 else {
            throw .system(operation: "ftruncate", path: path, errno: errno)
        }
    }
}

/// Directory operations of the log.
enum Directory {
    /// Creates `path` and its missing parents (mode 0755). An existing directory is fine.
    static func create(_ path: String) throws(OfflineLogError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw .system(operation: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw .system(operation: "stat", path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .system(operation: "mkdir", path: path, errno: ENOTDIR) }
    }

    /// The names of the entries of `path` (without "." and "..").
    static func entries(_ path: String) throws(OfflineLogError) -> [String] {
        guard let dir = opendir(path) else { throw .system(operation: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes the directory's entries (created, renamed, removed files) durable.
    static func sync(_ path: String) throws(OfflineLogError) {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard retryingOnInterrupt({ fsync(fd) }) == 0 else { throw .system(operation: "fsync", path: path, errno: errno) }
    }

    /// Removes a file; a file that is already gone is fine.
    static func remove(_ path: String) throws(OfflineLogError) {
        if unlink(path) != 0 && errno != ENOENT { throw .system(operation: "unlink", path: path, errno: errno) }
    }

    /// Renames `from` to `to`, replacing `to` atomically.
    static func rename(_ from: String, to: String) throws(OfflineLogError) {
        if systemRename(from, to) != 0 { throw .system(operation: "rename", path: from, errno: errno) }
    }
}

/// Retries a system call that failed with EINTR.
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}

/// `rename(2)`, named apart from `Directory.rename`.
private func systemRename(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.rename(from, to)
    #elseif canImport(Musl)
    return Musl.rename(from, to)
    #else
    return Darwin.rename(from, to)
    #endif
}
