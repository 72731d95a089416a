import Foundation
import Testing

/// Where the project's tools live, found from this file and from the test binary.
enum TestEnvironment {
    static let root: URL = {
        if let r = ProcessInfo.processInfo.environment["PETREL_ROOT"] { return URL(fileURLWithPath: r) }
        // Tests/PetrelInteropTests/Support/Environment.swift → repository root
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The project venv's Python (`PETREL_VENV`, which scripts/test sets; else the checkout's .venv).
    static var python: String {
        if let venv = ProcessInfo.processInfo.environment["PETREL_VENV"] { return venv + "/bin/python" }
        return root.appendingPathComponent(".venv/bin/python").path
    }
    static func script(_ name: String) -> String { root.appendingPathComponent("scripts/\(name)").path }

    /// The `petrel` executable built beside the test binary (same build folder).
    static var petrel: String {
        if let p = ProcessInfo.processInfo.environment["PETREL_BIN"] { return p }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("petrel")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/petrel").path
    }

    /// Fails the test (never skips) when the venv with Zenoh is missing.
    static func requirePython(sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("the project venv is missing (\(python)): run scripts/setup, which installs eclipse-zenoh 1.10.2", sourceLocation: sourceLocation)
            throw MissingDependency()
        }
    }

    static func requirePetrel(sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.isExecutableFile(atPath: petrel) else {
            Issue.record("the petrel executable was not found at \(petrel): build it first (swift build)", sourceLocation: sourceLocation)
            throw MissingDependency()
        }
    }

    struct MissingDependency: Error {}

    /// A free local port (TCP and UDP both free at the time of asking).
    static func freePort() -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20000...60000)
            if portIsFree(port, stream: true) && portIsFree(port, stream: false) { return port }
        }
        return Int.random(in: 20000...60000)
    }

    private static func portIsFree(_ port: Int, stream: Bool) -> Bool {
        let fd = socket(AF_INET, Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return r == 0
    }
}
