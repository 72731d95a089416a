#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Secrets on disk (issue #16): a configuration file that holds a secret, or
/// a file of secrets it names, is refused when every user of the board can
/// read it, as ssh refuses a readable private key.
///
/// - A secret is the value of any key named `password` or ending in
///   `password`, at any depth (`mqtt.password`, `transport.auth.usrpwd.password`),
///   so new sections with passwords are covered without a list to keep.
/// - A file of secrets is the one named by a key ending in `dictionary_file`
///   (Zenoh's `transport.auth.usrpwd.dictionary_file`: user:password lines).
///   Private keys for TLS are not checked here: the path to a key is no
///   secret, and the key file is the TLS library's and the operator's business.
/// - Refused: readable by others (mode `o+r`). Group-readable is fine: the
///   installer writes the configuration `0640 root:petrel` so the service's
///   group reads it.
/// - Overridden by `petrel agent --allow-insecure-secrets` or the environment
///   variable `PETREL_ALLOW_INSECURE_SECRETS=1` (a throwaway test board).
extension AgentConfig {
    /// The environment variable that allows world-readable secrets.
    public static let allowInsecureSecretsVariable = "PETREL_ALLOW_INSECURE_SECRETS"

    /// Problems with the permissions of `file` (the configuration, holding
    /// `text`) and of the secret files it names; empty when none, or when
    /// allowed by `allowInsecure` or the environment variable.
    static func secretsPermissionProblems(_ text: String, file: String, allowInsecure: Bool,
                                          environment: [String: String] = ProcessEnvironment.current()) -> [ConfigError] {
        if allowInsecure || environment[allowInsecureSecretsVariable] == "1" { return [] }
        let src = ConfigSource(text)
        var reader = JSON5Reader(src)
        // A file that does not parse is reported by the validator; nothing to look at here.
        guard let root = try? reader.readDocument() else { return [] }
        var secrets: [(path: String, offset: Int)] = []
        var secretFiles: [(path: String, offset: Int, file: String)] = []
        collectSecrets(root, path: "", into: &secrets, files: &secretFiles)

        var problems: [ConfigError] = []
        func report(_ keyPath: String, offset: Int, _ message: String) {
            let (line, column) = src.location(of: offset)
            problems.append(ConfigError(path: keyPath, message: message, file: file, line: line, column: column))
        }
        if let first = secrets.first, let mode = worldReadableMode(file) {
            report(first.path, offset: first.offset,
                   "this file holds a secret but every user can read it (mode \(octal(mode))); run 'chmod 600 \(file)' "
                   + "(or 640 with the agent's group), or allow it with --allow-insecure-secrets or \(allowInsecureSecretsVariable)=1")
        }
        for s in secretFiles {
            // Relative to the configuration file's directory, as a user reading the file would take it.
            let resolved = s.file.hasPrefix("/") ? s.file : directory(of: file) + s.file
            guard let mode = worldReadableMode(resolved) else { continue }
            report(s.path, offset: s.offset,
                   "the file of secrets '\(resolved)' can be read by every user (mode \(octal(mode))); run 'chmod 600 \(resolved)' "
                   + "(or 640 with the agent's group), or allow it with --allow-insecure-secrets or \(allowInsecureSecretsVariable)=1")
        }
        return problems
    }

    private static func collectSecrets(_ value: ConfigValue, path: String, into secrets: inout [(path: String, offset: Int)],
                                       files: inout [(path: String, offset: Int, file: String)]) {
        switch value.kind {
        case .object(let members):
            for m in members {
                let p = path.isEmpty ? m.key : path + "." + m.key
                let key = m.key.lowercased()
                if key.hasSuffix("password"), case .string(let s) = m.value.kind, !s.isEmpty {
                    secrets.append((p, m.keyOffset))
                } else if key.hasSuffix("dictionary_file"), case .string(let s) = m.value.kind, !s.isEmpty {
                    files.append((p, m.keyOffset, s))
                } else {
                    collectSecrets(m.value, path: p, into: &secrets, files: &files)
                }
            }
        case .array(let elements):
            for (i, e) in elements.enumerated() { collectSecrets(e, path: "\(path)[\(i)]", into: &secrets, files: &files) }
        default:
            break
        }
    }

    /// The file's permission bits if others may read it; nil if not (or it cannot be looked at).
    private static func worldReadableMode(_ path: String) -> UInt32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = UInt32(st.st_mode) & 0o7777
        return mode & 0o004 != 0 ? mode : nil
    }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }
}
