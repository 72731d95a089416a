import Foundation

/// Runs `scripts/keyexpr_oracle.py` with the project venv's Python
/// (eclipse-zenoh 1.10.2, installed by `scripts/setup`) over a batch of
/// string pairs, in one process, and returns Zenoh's answers line by line.
enum ZenohKeyExprOracle {
    /// What Zenoh says about one pair (see the script's docstring).
    struct Answer: Equatable {
        var validA: Bool
        var validB: Bool
        /// nil: autocanonize raised.
        var canonA: String?
        var canonB: String?
        /// nil when either could not be canonized.
        var intersects: Bool?
        var includesAB: Bool?
        var includesBA: Bool?
        /// `.some(nil)`: join raised; nil: A could not be canonized.
        var joinAB: String??
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var repoRoot: URL {
        // This file is Tests/PetrelKeyExprTests/Support/ZenohKeyExprOracle.swift.
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func ask(_ pairs: [(String, String)]) throws -> [Answer] {
        let root = repoRoot
        // The project venv: PETREL_VENV (scripts/test sets it), else the checkout's .venv.
        let python = ProcessInfo.processInfo.environment["PETREL_VENV"].map { URL(fileURLWithPath: $0 + "/bin/python") }
            ?? root.appendingPathComponent(".venv/bin/python")
        let script = root.appendingPathComponent("scripts/keyexpr_oracle.py")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: """
                \(python.path) is missing: run `scripts/setup` (it creates .venv with \
                eclipse-zenoh 1.10.2, the reference these tests compare against)
                """)
        }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("petrel-keyexpr-oracle-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = dir.appendingPathComponent("cases.txt")
        let answers = dir.appendingPathComponent("answers.txt")
        let errors = dir.appendingPathComponent("stderr.txt")

        var text = ""
        text.reserveCapacity(pairs.count * 24)
        for (a, b) in pairs { text += hex(a) + " " + hex(b) + "\n" }
        try text.write(to: cases, atomically: true, encoding: .ascii)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, cases.path, answers.path]
        var environment = ProcessInfo.processInfo.environment
        environment["RUST_BACKTRACE"] = "0" // Zenoh panics on some inputs; keep stderr short
        process.environment = environment
        let errorHandle = try FileHandle(forWritingTo: errors)
        process.standardError = errorHandle
        process.standardOutput = errorHandle
        try process.run()
        process.waitUntilExit()
        try? errorHandle.close()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failure(description: """
                keyexpr_oracle.py exited with \(process.terminationStatus) (if zenoh is not importable, run \
                `scripts/setup`):
                \(stderr.suffix(3000))
                """)
        }
        let lines = try String(contentsOf: answers, encoding: .ascii).split(separator: "\n")
        guard lines.count == pairs.count else {
            throw Failure(description: "keyexpr_oracle.py answered \(lines.count) lines for \(pairs.count) cases")
        }
        return try lines.enumerated().map { n, line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 8 else { throw Failure(description: "bad oracle line \(n): \(line)") }
            func bool(_ s: String) -> Bool? { s == "-" ? nil : s == "1" }
            func canon(_ s: String) -> String? { s == "!" ? nil : unhex(s) }
            return Answer(
                validA: f[0] == "1", validB: f[1] == "1",
                canonA: canon(f[2]), canonB: canon(f[3]),
                intersects: bool(f[4]), includesAB: bool(f[5]), includesBA: bool(f[6]),
                joinAB: f[7] == "-" ? nil : .some(canon(f[7])))
        }
    }

    static func hex(_ s: String) -> String {
        if s.isEmpty { return "-" }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 2)
        for b in s.utf8 {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ s: String) -> String {
        if s == "-" { return "" }
        var bytes: [UInt8] = []
        var high: UInt8?
        for c in s.utf8 {
            let v = c <= 57 ? c - 48 : c - 87
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
