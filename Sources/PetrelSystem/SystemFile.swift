#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The project's one wrapper over POSIX files (the offline log, its cursor,
// the hot store's log, the agent's configuration): one place that retries on
// EINTR, finishes partial writes and names the failing call and path.

/// An open file descriptor; closed when the last reference goes, so a reader
/// or syncer holding one never sees the descriptor reused under it, even if
/// the file was deleted meanwhile (POSIX keeps unlinked open files).
public final class SystemFile: Sendable {
    public let descriptor: Int32
    public let path: String

    /// Opens `path` for reading and writing, creating it (mode 0644) when
    /// `create`, emptying it when `truncate`.
    public init(path: String, create: Bool, truncate: Bool = false) throws(SystemCallError) {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0) | (truncate ? O_TRUNC : 0)
        let fd = retryingOnInterrupt { open(path, flags, 0o644) }
        guard fd >= 0 else { throw SystemCallError(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    /// Opens `path` read-only.
    public init(readingAt path: String) throws(SystemCallError) {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemCallError(operation: "open", path: path, errno: errno) }
        descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    /// The file's size in bytes.
    public func size() throws(SystemCallError) -> Int {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw SystemCallError(operation: "fstat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    /// Writes all of `bytes` at `offset`. A partial write (disk full part way)
    /// throws; the caller truncates back to `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(operation: "pwrite", path: path, errno: errno)
            }
            if n == 0 { throw SystemCallError(operation: "pwrite", path: path, errno: EIO) }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset` (see `write(_:at:)` above).
    public func write(_ bytes: [UInt8], at offset: Int) throws(SystemCallError) {
        let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
            do throws(SystemCallError) { try write(raw, at: offset); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset` into `buffer[start...]`; returns how
    /// many were read (fewer only at the end of the file).
    public func read(into buffer: inout [UInt8], at start: Int, count: Int, offset: Int) throws(SystemCallError) -> Int {
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
        if failure != 0 { throw SystemCallError(operation: "pread", path: path, errno: failure) }
        return done
    }

    /// Makes everything written so far durable: by default the data and the
    /// size needed to read it back (`fdatasync`, which skips the timestamps'
    /// extra journal write); with `includingMetadata`, everything (`fsync`).
    public func sync(includingMetadata: Bool = false) throws(SystemCallError) {
        if includingMetadata {
            guard retryingOnInterrupt({ fsync(descriptor) }) == 0 else {
                throw SystemCallError(operation: "fsync", path: path, errno: errno)
            }
        } else {
            guard retryingOnInterrupt({ fdatasync(descriptor) }) == 0 else {
                throw SystemCallError(operation: "fdatasync", path: path, errno: errno)
            }
        }
    }

    /// Takes an exclusive advisory lock (`flock`) without waiting; false when
    /// another open file description holds it. Released when the file is closed.
    public func tryLock() throws(SystemCallError) -> Bool {
        if retryingOnInterrupt({ flock(descriptor, LOCK_EX | LOCK_NB) }) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw SystemCallError(operation: "flock", path: path, errno: errno)
    }

    /// Cuts the file to `length` bytes.
    public func truncate(to length: Int) throws(SystemCallError) {
        guard retryingOnInterrupt({ ftruncate(descriptor, off_t(length)) }) == 0 else {
            throw SystemCallError(operation: "ftruncate", path: path, errno: errno)
        }
    }
}

extension SystemFile {
    /// Everything from the descriptor's position (the start, for a file just
    /// opened) to the end: `read(2)` until it returns 0, so pipes
    /// (`/dev/stdin`) and `/proc` files, whose size `fstat` does not know,
    /// read whole too.
    public func readAll() throws(SystemCallError) -> [UInt8] {
        var content: [UInt8] = []
        var st = stat()
        if fstat(descriptor, &st) == 0, st.st_size > 0 { content.reserveCapacity(Int(st.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if n == 0 { return content }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(operation: "read", path: path, errno: errno)
            }
            content.append(contentsOf: chunk[0..<n])
        }
    }
}

/// `read(2)`, named apart from `SystemFile.read(into:at:count:offset:)`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
