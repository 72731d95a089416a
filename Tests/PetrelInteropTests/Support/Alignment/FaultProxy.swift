import Foundation
import Synchronization
import Testing

/// scripts/fault_proxy.py: loopback forwards between each process and the
/// router, with faults the test sets by name (written to the proxy's JSON
/// control file, atomically).
final class FaultProxy: Sendable {
    struct Forward: Sendable {
        var name: String
        var proto: String // "tcp" or "udp"
        var listenPort: Int
        var targetPort: Int
    }

    struct Faults: Sendable, Equatable {
        var cut = false
        var loss = 0.0
        var dup = 0.0
        var reorder = 0.0
        var delayMs: ClosedRange<Int>? = nil

        static let none = Faults()

        var json: String {
            var parts = ["\"cut\": \(cut)", "\"loss\": \(loss)", "\"dup\": \(dup)", "\"reorder\": \(reorder)"]
            if let d = delayMs { parts.append("\"delay_ms\": [\(d.lowerBound), \(d.upperBound)]") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    let process: TestProcess
    let controlPath: String
    let forwards: [String: Forward]
    private let current = Mutex<[String: Faults]>([:])

    private init(process: TestProcess, controlPath: String, forwards: [String: Forward]) {
        self.process = process
        self.controlPath = controlPath
        self.forwards = forwards
    }

    static func start(_ forwards: [Forward], seed: UInt64, directory: String) async throws -> FaultProxy {
        try TestEnvironment.requirePython()
        let control = directory + "/faults.json"
        try "{}".write(toFile: control, atomically: true, encoding: .utf8)
        var args = [TestEnvironment.script("fault_proxy.py"), "--control", control, "--seed", "\(seed % 1_000_000_007)"]
        for f in forwards { args += ["--forward", "\(f.name):\(f.proto):\(f.listenPort):\(f.targetPort)"] }
        let p = try TestProcess("fault proxy", executable: TestEnvironment.python, arguments: args)
        guard await p.waitForLine(timeout: .seconds(30), where: { $0 == "ready" }) != nil else {
            p.kill()
            Issue.record("the fault proxy did not start: \(p.errorOutput.suffix(5))")
            throw ProxyFailed()
        }
        return FaultProxy(process: p, controlPath: control, forwards: Dictionary(uniqueKeysWithValues: forwards.map { ($0.name, $0) }))
    }

    struct ProxyFailed: Error {}

    func set(_ name: String, _ faults: Faults) throws {
        let all = current.withLock { c -> [String: Faults] in
            c[name] = faults
            return c
        }
        let text = "{" + all.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value.json)" }.joined(separator: ", ") + "}"
        try text.write(toFile: controlPath, atomically: true, encoding: .utf8)
    }

    func healAll() throws {
        for name in forwards.keys { try set(name, .none) }
    }

    func endpoint(_ name: String) -> String {
        let f = forwards[name]!
        return "\(f.proto)/127.0.0.1:\(f.listenPort)"
    }
}
