import PetrelKeyExpr
import PetrelTransport

/// Walks a parsed configuration and turns values into typed settings,
/// collecting an error (key path, what was expected, what was found, line and
/// column) for everything wrong instead of stopping at the first, so
/// `--check-config` can list every problem in one run.
///
/// Every reader returns nil after reporting when the value is unusable; the
/// caller then keeps its default, so the walk always finishes.
final class ConfigValidator {
    private(set) var errors: [ConfigError] = []
    /// Paths of known keys that an unknown key was taken for ("did you mean"):
    /// such a key is not reported missing as well, one mistake gives one error.
    private var suggestedPaths: Set<String> = []
    let source: ConfigSource
    let file: String?

    init(source: ConfigSource, file: String?) {
        self.source = source
        self.file = file
    }

    /// Reports a missing required key, unless a misspelling of it was already reported.
    func reportMissing(_ path: String, _ message: String, at offset: Int) {
        guard !suggestedPaths.contains(path) else { return }
        report(path, message, at: offset)
    }

    func report(_ path: String, _ message: String, at offset: Int) {
        let (line, column) = source.location(of: offset)
        errors.append(ConfigError(path: path, message: message, file: file, line: line, column: column))
    }

    /// Errors in the order they appear in the file.
    var sortedErrors: [ConfigError] {
        errors.enumerated().sorted { a, b in
            let la = (a.element.line ?? 0, a.element.column ?? 0), lb = (b.element.line ?? 0, b.element.column ?? 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }

    private func typeError(_ v: ConfigValue, _ path: String, expected: String) {
        report(path, "expected \(expected), found \(v.foundDescription)", at: v.offset)
    }

    // MARK: Objects

    /// Checks that `v` is an object whose keys are all in `keys`; unknown keys
    /// are reported with the list of known ones (and the closest, if any is close).
    func object(_ v: ConfigValue, _ path: String, keys: [String]) -> ConfigObject? {
        guard case .object(let members) = v.kind else {
            typeError(v, path, expected: "an object")
            return nil
        }
        for m in members where !keys.contains(m.key) {
            let memberPath = path.isEmpty ? m.key : path + "." + m.key
            var message = "unknown key (expected one of: \(keys.joined(separator: ", ")))"
            if let guess = closest(to: m.key, in: keys) {
                message = "unknown key; did you mean '\(guess)'? (expected one of: \(keys.joined(separator: ", ")))"
                suggestedPaths.insert(path.isEmpty ? guess : path + "." + guess)
            }
            report(memberPath, message, at: m.keyOffset)
        }
        return ConfigObject(path: path, members: members, offset: v.offset, validator: self)
    }

    /// The known key within two edits of `key`, for "did you mean".
    private func closest(to key: String, in keys: [String]) -> String? {
        var best: (String, Int)?
        for k in keys {
            let d = editDistance(Array(key.lowercased().utf8), Array(k.utf8))
            if d <= 2, d < (best?.1 ?? .max) { best = (k, d) }
        }
        return best?.0
    }

    private func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: Scalars

    func string(_ v: ConfigValue, _ path: String) -> String? {
        guard case .string(let s) = v.kind else { typeError(v, path, expected: "a string"); return nil }
        return s
    }

    /// A string that is not empty (names, paths, topics).
    func nonEmptyString(_ v: ConfigValue, _ path: String) -> String? {
        guard let s = string(v, path) else { return nil }
        guard !s.isEmpty else { report(path, "must not be empty", at: v.offset); return nil }
        return s
    }

    func bool(_ v: ConfigValue, _ path: String) -> Bool? {
        guard case .bool(let b) = v.kind else { typeError(v, path, expected: "true or false"); return nil }
        return b
    }

    /// An integer in `range`; `1.0` counts as 1, `1.5` does not.
    func integer(_ v: ConfigValue, _ path: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        let n: Int
        switch v.kind {
        case .integer(let i): n = i
        case .number(let d) where d.rounded() == d && d >= -9.0e18 && d <= 9.0e18: n = Int(d)
        case .number:
            typeError(v, path, expected: "a whole number")
            return nil
        default:
            typeError(v, path, expected: "a whole number")
            return nil
        }
        guard range.contains(n) else {
            let u = unit.isEmpty ? "" : " " + unit
            let bounds = range.upperBound == .max ? "at least \(range.lowerBound)\(u)" : "from \(range.lowerBound) to \(range.upperBound)\(u)"
            report(path, "expected a number \(bounds), found \(n)", at: v.offset)
            return nil
        }
        return n
    }

    /// One of a fixed set of strings, e.g. `"lines"`.
    func choice<T>(_ v: ConfigValue, _ path: String, _ options: [(String, T)]) -> T? {
        let names = options.map { "\"\($0.0)\"" }
        let expected = names.count <= 2 ? names.joined(separator: " or ")
            : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
        guard case .string(let s) = v.kind else { typeError(v, path, expected: expected); return nil }
        guard let hit = options.first(where: { $0.0 == s }) else {
            report(path, "expected \(expected), found \"\(s)\"", at: v.offset)
            return nil
        }
        return hit.1
    }

    /// A duration string such as `"30s"`, `"10m"`, `"1.5h"`, `"7d"`.
    func duration(_ v: ConfigValue, _ path: String) -> Duration? {
        guard case .string(let s) = v.kind else {
            typeError(v, path, expected: "a duration string such as \"30s\", \"10m\", \"2h\"")
            return nil
        }
        guard let d = ConfigUnits.duration(s) else {
            report(path, "'\(s)' is not a duration such as 30s, 10m, 2h (units: ms, s, m, h, d)", at: v.offset)
            return nil
        }
        return d
    }

    /// A size: a number of bytes, or a string such as `"32MB"`, `"512KiB"`.
    func size(_ v: ConfigValue, _ path: String, in range: ClosedRange<Int> = 1...Int.max) -> Int? {
        let n: Int
        switch v.kind {
        case .integer, .number:
            guard let i = integer(v, path, in: range, unit: "bytes") else { return nil }
            n = i
        case .string(let s):
            guard let bytes = ConfigUnits.size(s) else {
                report(path, "'\(s)' is not a size such as 512KB, 32MB, 1GiB (units: B, KB, MB, GB, KiB, MiB, GiB)", at: v.offset)
                return nil
            }
            n = bytes
        default:
            typeError(v, path, expected: "a size such as \"32MB\" or a number of bytes")
            return nil
        }
        guard range.contains(n) else {
            let bounds = range.upperBound == .max ? "at least \(ConfigUnits.formatSize(range.lowerBound))"
                : "from \(ConfigUnits.formatSize(range.lowerBound)) to \(ConfigUnits.formatSize(range.upperBound))"
            report(path, "expected a size \(bounds), found \(n) bytes", at: v.offset)
            return nil
        }
        return n
    }

    // MARK: Lists

    /// The elements of an array with their paths (`path[0]`, `path[1]`...).
    func array(_ v: ConfigValue, _ path: String) -> [(ConfigValue, String)]? {
        guard case .array(let elements) = v.kind else { typeError(v, path, expected: "an array"); return nil }
        return elements.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
    }

    func stringArray(_ v: ConfigValue, _ path: String) -> [String]? {
        guard let elements = array(v, path) else { return nil }
        return elements.compactMap { string($0.0, $0.1) }
    }

    // MARK: Petrel types

    func endpoint(_ v: ConfigValue, _ path: String) -> Endpoint? {
        guard let s = string(v, path) else { return nil }
        do {
            return try Endpoint(s)
        } catch {
            report(path, "'\(s)' is not an endpoint: \(error.reason)", at: v.offset)
            return nil
        }
    }

    func endpoints(_ v: ConfigValue, _ path: String) -> [Endpoint]? {
        guard let elements = array(v, path) else { return nil }
        return elements.compactMap { endpoint($0.0, $0.1) }
    }

    /// A key expression; `wildcards: false` for keys that samples are published
    /// under (a publication's key cannot be a pattern).
    func keyExpr(_ v: ConfigValue, _ path: String, wildcards: Bool) -> KeyExpr? {
        guard let s = string(v, path) else { return nil }
        let key: KeyExpr
        do {
            key = try KeyExpr(s)
        } catch {
            report(path, "'\(s)' is not a key expression: \(error)", at: v.offset)
            return nil
        }
        if !wildcards && key.isWild {
            report(path, "'\(s)' must not contain wildcards (*, **, $*): samples are published under it", at: v.offset)
            return nil
        }
        return key
    }
}

/// An object being read: looks members up by key and builds their paths.
struct ConfigObject {
    let path: String
    let members: [ConfigMember]
    let offset: Int
    let validator: ConfigValidator

    func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member's value, or nil when absent or `null` (which means "use the default").
    func value(_ key: String) -> ConfigValue? {
        guard let m = members.first(where: { $0.key == key }) else { return nil }
        if case .null = m.value.kind { return nil }
        return m.value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// Reads an optional member with `convert`; nil when absent, null or invalid (reported).
    func read<T>(_ key: String, _ convert: (ConfigValue, String) -> T?) -> T? {
        guard let v = value(key) else { return nil }
        return convert(v, childPath(key))
    }

    /// Reads a required member; reports it missing with `hint` (what to write there).
    func require<T>(_ key: String, hint: String, _ convert: (ConfigValue, String) -> T?) -> T? {
        guard let v = value(key) else {
            validator.reportMissing(childPath(key), "missing required key: \(hint)", at: offset)
            return nil
        }
        return convert(v, childPath(key))
    }

    /// Reads a nested object section with the given keys.
    func section(_ key: String, keys: [String]) -> ConfigObject? {
        read(key) { validator.object($0, $1, keys: keys) }
    }

    /// Reports `key` as not applicable (e.g. `columns` outside csv format).
    func reject(_ key: String, _ why: String) {
        guard let m = members.first(where: { $0.key == key }) else { return }
        validator.report(childPath(key), why, at: m.keyOffset)
    }
}
