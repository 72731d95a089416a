#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory operations: creating, listing, making entries durable, removing
/// and renaming files.
public enum Directory {
    /// Creates `path` (mode 0755) and, with `intermediates`, its missing
    /// parents. An existing directory is fine.
    public static func create(_ path: String, intermediates: Bool = true) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        let components = path.split(separator: "/")
        for (i, component) in components.enumerated() {
            prefix += component
            // Without intermediates, only the last component is made: a missing
            // parent fails as `mkdir` alone would (ENOENT).
            if !intermediates && i < components.count - 1 {
                prefix += "/"
                continue
            }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw SystemCallError(operation: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw SystemCallError(operation: "stat", path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw SystemCallError(operation: "mkdir", path: path, errno: ENOTDIR) }
    }

    /// The names of the entries of `path` (without "." and "..").
    public static func entries(_ path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError(operation: "opendir", path: path, errno: errno) }
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
    public static func sync(_ path: String) throws(SystemCallError) {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemCallError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard retryingOnInterrupt({ fsync(fd) }) == 0 else { throw SystemCallError(operation: "fsync", path: path, errno: errno) }
    }

    /// Removes a file; a file that is already gone is fine.
    public static func remove(_ path: String) throws(SystemCallError) {
        if unlink(path) != 0 && errno != ENOENT { throw SystemCallError(operation: "unlink", path: path, errno: errno) }
    }

    /// Renames `from` to `to`, replacing `to` atomically.
    public static func rename(_ from: String, to: String) throws(SystemCallError) {
        if systemRename(from, to) != 0 { throw SystemCallError(operation: "rename", path: from, errno: errno) }
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
