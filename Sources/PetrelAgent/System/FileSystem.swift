#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PetrelSystem

/// The few questions the agent asks the file system and the process, answered
/// with POSIX calls: the agent does not link Foundation, which (with its ICU
/// data) would be most of a board's binary and a third of the idle agent's memory.
enum FileSystem {
    /// What a path names, following symbolic links.
    enum Kind: Equatable {
        case directory
        case characterDevice
        case other
    }

    /// What `path` is, or nil when it does not exist (or a directory on the
    /// way cannot be searched).
    static func kind(_ path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFCHR: return .characterDevice
        default: return .other
        }
    }

    static func exists(_ path: String) -> Bool { kind(path) != nil }

    /// Whether this process may read `path` (access(2) with R_OK).
    static func isReadable(_ path: String) -> Bool { access(path, R_OK) == 0 }

    /// Whether this process may write `path` (access(2) with W_OK).
    static func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }

    /// The whole content of a file.
    ///
    /// - Throws: `SystemError` with the failing call's errno (ENOENT, EACCES,
    ///   EISDIR...).
    static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        do throws(SystemCallError) {
            return try SystemFile(readingAt: path).readAll()
        } catch {
            throw SystemError(errno: error.errno)
        }
    }

    /// `mkdir -p -m MODE path`: creates `path` and whichever parents are
    /// missing; parents get the default mode (0777 less the umask), `path`
    /// itself exactly `mode`.
    ///
    /// - Throws: `SystemError` from the first mkdir or chmod that failed
    ///   (ENOTDIR when a file is in the way, EACCES...).
    static func createDirectories(_ path: String, mode: mode_t) throws(SystemError) {
        if kind(path) == .directory { return }
        let parent = deletingLastPathComponent(path)
        if !parent.isEmpty, parent != path, kind(parent) != .directory {
            try createDirectories(parent, mode: 0o777)
        }
        if mkdir(path, mode) != 0 {
            let e = errno
            // Someone else made it meanwhile: as good as done.
            guard e == EEXIST, kind(path) == .directory else { throw SystemError(errno: e) }
            return
        }
        // mkdir's mode is filtered by the umask; the asked-for one is meant exactly.
        if mode != 0o777, chmod(path, mode) != 0 { throw SystemError(errno: errno) }
    }

    /// `path` without its last component, as NSString's
    /// `deletingLastPathComponent`: "/a/b" gives "/a", "/a" gives "/",
    /// "a" gives "", "/" stays "/"; trailing slashes are ignored.
    static func deletingLastPathComponent(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        if bytes == [UInt8(ascii: "/")] { return "/" }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        var end = slash
        while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        if end == 0 { return "/" }
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }

    /// The directory of the user this process runs as: `$HOME` when set,
    /// else the password database's entry, else "/".
    static func homeDirectory(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(geteuid()), let dir = entry.pointee.pw_dir {
            let home = String(cString: dir)
            if !home.isEmpty { return home }
        }
        return "/"
    }
}

/// A failed system call: its errno, described by strerror(3).
struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    var errno: Int32
    var description: String { String(cString: strerror(errno)) }
}
