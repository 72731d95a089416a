import PetrelSystem

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
    /// The open file; nil once closed (the descriptor closes with the last reference).
    private var file: SystemFile?
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
        // The directory itself only, as always: a missing parent is a configuration error.
        try systemCall { () throws(SystemCallError) in try Directory.create(directory, intermediates: false) }
        let path = directory + "/" + fileName
        let file = try systemCall { () throws(SystemCallError) in try SystemFile(path: path, create: true) }
        var log = HotStoreLog(path: path, syncPolicy: sync, file: file, fileBytes: 0)
        let bytes = try systemCall { () throws(SystemCallError) in try file.readAll() }
        log.fileBytes = bytes.count
        if bytes.count < header.count {
            // New, or torn while its header was being written: start afresh.
            guard bytes.allSatisfy({ $0 == 0 }) || header.starts(with: bytes) else {
                throw HotStoreError(.notAHotStoreLog, path: path)
            }
            try log.truncate(to: 0)
            try log.append(header)
            return (log, Recovery(bytes: header, recordsStart: header.count))
        }
        guard bytes.starts(with: header) else { throw HotStoreError(.notAHotStoreLog, path: path) }
        return (log, Recovery(bytes: bytes, recordsStart: header.count))
    }

    private init(path: String, syncPolicy: HotStore.SyncPolicy, file: SystemFile, fileBytes: Int) {
        self.path = path
        self.syncPolicy = syncPolicy
        self.file = file
        self.fileBytes = fileBytes
    }

    var isOpen: Bool { file != nil }

    /// Appends `bytes` at the end of the file (fsync'd under `.everyRecord`).
    /// On failure the file is cut back to its previous length, so no partial
    /// record stays in it.
    mutating func append(_ bytes: [UInt8]) throws(HotStoreError) {
        guard let file else { throw HotStoreError(.closed, path: path) }
        let before = fileBytes
        do throws(SystemCallError) {
            try file.write(bytes, at: before)
        } catch {
            try? file.truncate(to: before)
            throw HotStoreError(error)
        }
        fileBytes = before + bytes.count
        if syncPolicy == .everyRecord { try self.sync() }
    }

    /// Cuts the file to `length` bytes (dropping a torn or corrupt tail).
    mutating func truncate(to length: Int) throws(HotStoreError) {
        guard let file else { throw HotStoreError(.closed, path: path) }
        try systemCall { () throws(SystemCallError) in try file.truncate(to: length) }
        fileBytes = length
    }

    /// Flushes the file to stable storage (`fsync`: data and metadata).
    func sync() throws(HotStoreError) {
        guard let file else { throw HotStoreError(.closed, path: path) }
        try systemCall { () throws(SystemCallError) in try file.sync(includingMetadata: true) }
    }

    /// Starts replacing the log: returns a new, empty log (header only) at
    /// `<file>.compact` to `append` the live records to, then pass to
    /// `finishRewrite(with:)` (or `abandonRewrite()` on failure).
    func beginRewrite() throws(HotStoreError) -> HotStoreLog {
        guard file != nil else { throw HotStoreError(.closed, path: path) }
        let tmp = path + ".compact"
        let tfile = try systemCall { () throws(SystemCallError) in try SystemFile(path: tmp, create: true, truncate: true) }
        var newLog = HotStoreLog(path: tmp, syncPolicy: .never, file: tfile, fileBytes: 0)
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
        try? Directory.remove(path)
    }

    /// Renames the finished rewrite `newLog` over this log (atomically: a
    /// crash leaves the old or the new file), and continues appending to it.
    /// Under `.everyRecord` the new file and the directory are fsync'd first.
    mutating func finishRewrite(with newLog: inout HotStoreLog) throws(HotStoreError) {
        if syncPolicy == .everyRecord { try newLog.sync() }
        let from = newLog.path
        try systemCall { () throws(SystemCallError) in try Directory.rename(from, to: path) }
        if syncPolicy == .everyRecord {
            // Best effort: some file systems refuse to sync a directory.
            let dir = path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[..<$0]) } ?? "."
            try? Directory.sync(dir)
        }
        file = newLog.file
        fileBytes = newLog.fileBytes
        newLog.file = nil
    }

    mutating func close() {
        file = nil
    }
}

extension HotStoreError {
    /// The store's error for a failed call of the system layer.
    init(_ error: SystemCallError) {
        self.init(.system(call: error.operation, errno: error.errno), path: error.path)
    }
}

/// Runs a call of the system layer (PetrelSystem), reporting its failure as
/// the store's own error.
@inline(__always)
func systemCall<T>(_ body: () throws(SystemCallError) -> T) throws(HotStoreError) -> T {
    do throws(SystemCallError) {
        return try body()
    } catch {
        throw HotStoreError(error)
    }
}
