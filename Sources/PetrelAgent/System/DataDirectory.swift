#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the agent keeps its state (offline buffer, storages) when the
/// configuration does not say (`buffer.dir`).
///
/// In order: `$PETREL_DATA_DIR`; `$STATE_DIRECTORY` (set by systemd for a unit
/// with `StateDirectory=`, as boards/petrel.service has); `/var/lib/petrel`
/// when running as root and it can be written; `$XDG_DATA_HOME/petrel`;
/// `~/.local/share/petrel`.
public enum DataDirectory {
    public static let systemPath = "/var/lib/petrel"

    /// The default data directory for this process; creates nothing.
    ///
    /// - Parameters:
    ///   - environment: the process environment (a parameter for tests).
    ///   - isRoot: whether the process runs as root (effective UID 0).
    public static func defaultPath(environment: [String: String] = ProcessEnvironment.current(),
                                   isRoot: Bool = geteuid() == 0) -> String {
        if let dir = environment["PETREL_DATA_DIR"], !dir.isEmpty { return dir }
        // systemd may list several directories separated by ':'; ours is the first.
        if let dirs = environment["STATE_DIRECTORY"], let first = dirs.split(separator: ":").first {
            return String(first)
        }
        if isRoot && systemPathUsable() { return systemPath }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/petrel" }
        return FileSystem.homeDirectory(environment: environment) + "/.local/share/petrel"
    }

    /// Creates `path` (and its parents) if needed, readable by its owner and
    /// group only, and checks that it can be written.
    ///
    /// - Returns: `path`.
    /// - Throws: `DataDirectoryError` naming the directory and the reason
    ///   (a file is in the way, permission denied...).
    @discardableResult
    public static func prepare(_ path: String) throws(DataDirectoryError) -> String {
        if let kind = FileSystem.kind(path) {
            guard kind == .directory else { throw DataDirectoryError(path: path, reason: "a file is in the way (not a directory)") }
        } else {
            do {
                try FileSystem.createDirectories(path, mode: 0o750)
            } catch {
                throw DataDirectoryError(path: path, reason: "cannot be created: \(error)")
            }
        }
        guard FileSystem.isWritable(path) else {
            throw DataDirectoryError(path: path, reason: "is not writable by this user")
        }
        return path
    }

    /// The configured directory, or the default one; created if needed.
    public static func resolve(configured: String?) throws(DataDirectoryError) -> String {
        try prepare(configured ?? defaultPath())
    }

    /// /var/lib/petrel exists and is writable, or /var/lib is (so it can be made).
    private static func systemPathUsable() -> Bool {
        if FileSystem.exists(systemPath) { return FileSystem.isWritable(systemPath) }
        return FileSystem.isWritable("/var/lib")
    }
}

/// The data directory cannot be used.
public struct DataDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "data directory '\(path)' \(reason)" }
}
