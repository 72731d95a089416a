import Foundation
import Testing

/// A real Zenoh 1.10.2 router (PyPI eclipse-zenoh in router mode) on loopback,
/// listening on TCP and UDP at the same port.
final class ZenohRouter: Sendable {
    let port: Int
    let process: TestProcess
    let zid: String

    var tcp: String { "tcp/127.0.0.1:\(port)" }
    var udp: String { "udp/127.0.0.1:\(port)" }
    func endpoint(_ proto: String) -> String { proto == "udp" ? udp : tcp }

    private init(port: Int, process: TestProcess, zid: String) {
        self.port = port
        self.process = process
        self.zid = zid
    }

    static func start(port: Int? = nil, extraArguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ZenohRouter {
        try TestEnvironment.requirePython(sourceLocation: sourceLocation)
        let port = port ?? TestEnvironment.freePort()
        let p = try TestProcess("router:\(port)", executable: TestEnvironment.python,
                                arguments: [TestEnvironment.script("zenoh_router.py"),
                                            "--listen", "tcp/127.0.0.1:\(port)", "--listen", "udp/127.0.0.1:\(port)"] + extraArguments)
        guard let ready = await p.waitForLine(timeout: .seconds(60), where: { $0.hasPrefix("ready ") }) else {
            p.kill()
            Issue.record("the Zenoh router did not start: \(p.errorOutput.suffix(5).joined(separator: "\n"))", sourceLocation: sourceLocation)
            throw RouterFailed()
        }
        return ZenohRouter(port: port, process: p, zid: String(ready.dropFirst(6)))
    }

    struct RouterFailed: Error {}

    func stop() async {
        process.terminate()
        _ = await process.waitForExit(timeout: .seconds(5))
        process.kill()
    }

    /// Freezes the router (SIGSTOP): its sockets stay open but it says nothing.
    func freeze() { Foundation.kill(process.pid, SIGSTOP) }
    func thaw() { Foundation.kill(process.pid, SIGCONT) }

    func kill() async {
        process.kill()
        _ = await process.waitForExit(timeout: .seconds(5))
    }
}

/// Zenoh's Python API as a peer process (scripts/zenoh_client.py).
enum PythonZenoh {
    static func start(_ router: ZenohRouter, proto: String = "tcp", _ args: [String]) throws -> TestProcess {
        try TestEnvironment.requirePython()
        return try TestProcess("python \(args.first ?? "")", executable: TestEnvironment.python,
                               arguments: [TestEnvironment.script("zenoh_client.py"), "-e", router.endpoint(proto)] + args)
    }

    /// Starts a command that declares something, and waits for its "ready" line.
    static func startReady(_ router: ZenohRouter, proto: String = "tcp", _ args: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestProcess {
        let p = try start(router, proto: proto, args)
        if await p.waitForLine(where: { $0.contains("\"ready\"") }) == nil {
            Issue.record("python \(args) did not get ready: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
        }
        // Until the router holds the declaration, so what the test does next reaches it.
        if args.count >= 2 {
            let key = args[1]
            switch args[0] {
            case "sub": try await RouterView.waitFor(router, { await $0.subscriber(key) }, "python's subscriber", sourceLocation: sourceLocation)
            case "queryable": try await RouterView.waitFor(router, { await $0.queryable(key) }, "python's queryable", sourceLocation: sourceLocation)
            case "liveliness-token":
                try await RouterView.waitFor(router, { await $0.tokens(key, are: [key]) }, "python's token", sourceLocation: sourceLocation)
            default: break
            }
        }
        return p
    }

    /// Runs a command to completion and returns its stdout lines.
    static func run(_ router: ZenohRouter, proto: String = "tcp", _ args: [String], timeout: Duration = .seconds(30)) async throws -> [String] {
        let p = try start(router, proto: proto, args)
        _ = await p.waitForExit(timeout: timeout)
        return p.output
    }
}

/// The `petrel` executable as a user runs it.
enum PetrelTool {
    static func start(_ args: [String]) throws -> TestProcess {
        try TestEnvironment.requirePetrel()
        return try TestProcess("petrel \(args.first ?? "")", executable: TestEnvironment.petrel, arguments: args)
    }

    static func run(_ args: [String], timeout: Duration = .seconds(30)) async throws -> (status: Int32?, out: [String], err: [String]) {
        let p = try start(args)
        let status = await p.waitForExit(timeout: timeout)
        return (status, p.output, p.errorOutput)
    }
}

/// Parses a JSON line into a dictionary (nil if it is not an object).
func jsonObject(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}
