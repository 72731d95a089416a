#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only file a persistent hot store writes every kept sample to,
/// and rebuilds itself from at start.
///
/// Layout: an 8-byte header (`PHOTLOG` and a version byte), then records
/// (see `HotStoreRecord.swift`). Appends that fail are cut back off, so the
/// file never holds a torn record in its middle; a torn tail left by a crash
/// is cut off when the file is next opened. Compaction writes the live
/// records to `<file>.compact` and renames it over the log.
struct HotStoreLog {
    static let fileName = "hotstore.log"
    static let header: [UInt8] = Array("PHOTLOG".utf8) + [1]

    let path: String
    let syncPolicy: HotStore.SyncPolicy
    private var fd: Int32
    /// Bytes in the file (header included).
    private(set) var fileBytes: Int

    /// What `open` found in an existing file.
    struct Recovery {
        /// The file's bytes.
        var bytes: [UInt8]
        /// Where the records start.
        var recordsStart: Int
    }

    /// Opens (creating it, and `directory`, if needed) the log in `directory`
    /// and returns it with the bytes it holds. The caller replays them and
    /// then calls `truncate(to:)` with the end of the last good record.
    static func openLog(directory: String, sync: HotStore.SyncPolicy) throws(HotStoreError) -> (HotStoreLog, Recovery) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw HotStoreError(.system(call: "mkdir", errno: errno), path: directory)
        }
        let path = directory + "/" + fileName
        let fd = systemOpen(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HotStoreError(.system(call: "open", errno: errno), path: path) }
        var log = HotStoreLog(path: path, syncPolicy: sync, fd: fd, fileBytes: 0)
        let bytes: [UInt8]
        do throws(HotStoreError) {
            bytes = try log.readAll()
        } catch {
            log.close()
            throw error
        }
        log.fileBytes = bytes.count
        if bytes.count < header.count {
            // New, or torn while its header was being written: start afresh.
            guard bytes.allSatisfy({ $0 == 0 }) || header.starts(with: bytes) else {
                log.close()
                throw HotStoreError(.notAHotStoreLog, path: path)
            }
            do throws(HotStoreError) {
                try log.truncate(to: 0)
                try log.append(header)
            } catch {
                log.close()
                throw error
            }
            return (log, Recovery(bytes: header, recordsStart: header.count))
        }
        guard bytes.starts(with: header) else {
            log.close()
            throw HotStoreError(.notAHotStoreLog, path: path)
        }
        return (log, Recovery(bytes: bytes, recordsStart: header.count))
    }

    private init(path: String, syncPolicy: HotStore.SyncPolicy, fd: Int32, fileBytes: Int) {
        self.path = path
        self.syncPolicy = syncPolicy
        self.fd = fd
        self.fileBytes = fileBytes
    }

    var isOpen: Bool { fd >= 0 }

    private func readAll() throws(HotStoreError) -> [UInt8] {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw HotStoreError(.system(call: "fstat", errno: errno), path: path) }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HotStoreError(.system(call: "read", errno: errno), path: path)
            }
            if n == 0 { break } // shrank under us: take what is there
            done += n
        }
        return done == size ? bytes : Array(bytes[..<done])
    }

    /// Appends `bytes` at the end of the file (fsync'd under `.everyRecord`).
    /// On failure the file is cut back to its previous length, so no partial
    /// record stays in it.
    mutating func append(_ bytes: [UInt8]) throws(HotStoreError) {
        guard fd >= 0 else { throw HotStoreError(.closed, path: path) }
        let before = fileBytes
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(before + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                _ = ftruncate(fd, off_t(before))
                throw HotStoreError(.system(call: "write", errno: e), path: path)
            }
            done += n
        }
        fileBytes = before + bytes.count
        if syncPolicy == .everyRecord { try self.sync() }
    }

    /// Cuts the file to `length` bytes (dropping a torn or corrupt tail).
    mutating func truncate(to length: Int) throws(HotStoreError) {
        guard fd >= 0 else { throw HotStoreError(.closed, path: path) }
        guard ftruncate(fd, off_t(length)) == 0 else {
            throw HotStoreError(.system(call: "ftruncate", errno: errno), path: path)
        }
        fileBytes = length
    }

    /// Flushes the file to stable storage.
    func sync() throws(HotStoreError) {
        guard fd >= 0 else { throw HotStoreError(.closed, path: path) }
        guard fsync(fd) == 0 else { throw HotStoreError(.system(call: "fsync", errno: errno), path: path) }
    }

    /// Starts replacing the log: returns a new, empty log (header only) at
    /// `<file>.compact` to `append` the live records to, then pass to
    /// `finishRewrite(with:)` (or `abandonRewrite()` on failure).
    func beginRewrite() throws(HotStoreError) -> HotStoreLog {
        guard fd >= 0 else { throw HotStoreError(.closed, path: path) }
        let tmp = path + ".compact"
        let tfd = systemOpen(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard tfd >= 0 else { throw HotStoreError(.system(call: "open", errno: errno), path: tmp) }
        var newLog = HotStoreLog(path: tmp, syncPolicy: .never, fd: tfd, fileBytes: 0)
        do throws(HotStoreError) {
            try newLog.append(Self.header)
        } catch {
            newLog.abandonRewrite()
            throw error
        }
        return newLog
    }

    /// Deletes an unfinished rewrite file; the old log stays as it was.
    mutating func abandonRewrite() {
        close()
        _ = unlink(path)
    }

    /// Renames the finished rewrite `newLog` over this log (atomically: a
    /// crash leaves the old or the new file), and continues appending to it.
    /// Under `.everyRecord` the new file and the directory are fsync'd first.
    mutating func finishRewrite(with newLog: inout HotStoreLog) throws(HotStoreError) {
        if syncPolicy == .everyRecord { try newLog.sync() }
        guard rename(newLog.path, path) == 0 else {
            throw HotStoreError(.system(call: "rename", errno: errno), path: path)
        }
        if syncPolicy == .everyRecord { Self.syncDirectory(of: path) }
        close()
        fd = newLog.fd
        fileBytes = newLog.fileBytes
        newLog.fd = -1
    }

    /// Makes a rename durable (best effort: some file systems refuse it).
    private static func syncDirectory(of path: String) {
        let dir = path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[..<$0]) } ?? "."
        let dfd = systemOpen(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            systemClose(dfd)
        }
    }

    mutating func close() {
        if fd >= 0 {
            systemClose(fd)
            fd = -1
        }
    }
}

// The C calls by names the log's own methods do not shadow.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }
private func systemClose(_ fd: Int32) { _ = close(fd) }
