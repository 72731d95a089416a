import PetrelWire

/// The user name and password a session proves to its router
/// (`transport.auth.usrpwd.user` / `password`, Zenoh's names).
///
/// The password cannot be read back from outside this module and every
/// description of the value shows `***` in its place, so logging a
/// configuration, an error or a dump of this type never shows it.
public struct UsrPwdCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
                                 CustomReflectable {
    public let user: String
    let password: [UInt8]

    public init(user: String, password: String) {
        self.user = user
        self.password = Array(password.utf8)
    }

    public var description: String { "user '\(user)', password ***" }
    public var debugDescription: String { description }
    /// `dump` and the debugger walk children: show the user, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["user": user, "password": "***"]) }
}

/// The users a listener accepts and their passwords
/// (`transport.auth.usrpwd.dictionary_file`): one `user:password` per line,
/// as Zenoh reads it: blank lines skipped, the line split at its first `:`,
/// both sides trimmed, neither side empty.
public struct UsrPwdDictionary: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    private var passwords: [String: [UInt8]]

    /// Parses a dictionary file's text.
    ///
    /// - Throws: `UsrPwdDictionaryError` naming the line (never its password)
    ///   for a line without `:`, an empty user or an empty password, or for a
    ///   file without any user.
    public init(parsing text: String) throws(UsrPwdDictionaryError) {
        var passwords: [String: [UInt8]] = [:]
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw UsrPwdDictionaryError(line: n + 1, reason: "expected user:password")
            }
            let user = line[..<colon].trimmingWhitespace()
            let password = line[line.index(after: colon)...].trimmingWhitespace()
            guard !user.isEmpty else { throw UsrPwdDictionaryError(line: n + 1, reason: "empty user name") }
            guard !password.isEmpty else { throw UsrPwdDictionaryError(line: n + 1, reason: "empty password for user '\(user)'") }
            passwords[String(user)] = Array(password.utf8)
        }
        guard !passwords.isEmpty else { throw UsrPwdDictionaryError(line: 0, reason: "no user:password line") }
        self.passwords = passwords
    }

    public init(_ users: [String: String]) {
        passwords = users.mapValues { Array($0.utf8) }
    }

    /// The user names, sorted (what may be shown: never the passwords).
    public var users: [String] { passwords.keys.sorted() }

    func password(of user: String) -> [UInt8]? { passwords[user] }

    public var description: String { "\(passwords.count) user(s): \(users.joined(separator: ", "))" }
    public var customMirror: Mirror { Mirror(self, children: ["users": users]) }
}

/// A dictionary file line that Zenoh would refuse too.
public struct UsrPwdDictionaryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based; 0 for the file as a whole.
    public var line: Int
    public var reason: String
    public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
}

/// The user/password proof (Zenoh `auth/usrpwd.rs`): the listener's InitAck
/// carries a random 64-bit nonce; the opener answers with its user name and
/// HMAC-SHA3-256 keyed with the nonce's 8 little-endian bytes over the
/// password. The password itself never crosses the link, and a proof is
/// worthless for any other handshake.
enum UsrPwdProof {
    static func code(nonce: UInt64, password: [UInt8]) -> [UInt8] {
        let key = (0..<8).map { UInt8(truncatingIfNeeded: nonce >> (8 * UInt64($0))) }
        return HMACSHA3_256.authenticationCode(key: key, data: password)
    }

    /// A fresh challenge: `SystemRandomNumberGenerator` reads the kernel's
    /// CSPRNG (getrandom), so a device cannot predict it.
    static func nonce() -> UInt64 {
        var g = SystemRandomNumberGenerator()
        return g.next()
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns (Rust's `trim`, for ASCII).
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
