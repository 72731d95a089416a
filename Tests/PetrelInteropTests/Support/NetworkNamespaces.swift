import Foundation
import Testing

/// Two network namespaces joined by a veth pair, with a multicast route on
/// each end, made for one test and deleted afterwards (deleting a namespace
/// deletes its end of the pair). Names are unique per run, so a test left
/// over from a crashed run never collides.
struct NamespacePair {
    let a: String
    let b: String
    let vethA: String
    let vethB: String
    let addressA: String
    let addressB: String

    /// `ip` from iproute2; the test fails (never skips) without it.
    static func requireIP(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        Issue.record("the 'ip' command is missing: install iproute2 (apt-get install -y iproute2; scripts/setup does)", sourceLocation: sourceLocation)
        throw TestEnvironment.MissingDependency()
    }

    /// Creates both namespaces, the link and the routes; on any failure
    /// removes what it made and throws with `ip`'s message.
    static func create(sourceLocation: SourceLocation = #_sourceLocation) throws -> NamespacePair {
        let ip = try requireIP(sourceLocation: sourceLocation)
        let tag = String(UInt32.random(in: 0...0xFFFFFF), radix: 16)
        let net = "10.\(Int.random(in: 100...199)).\(Int.random(in: 1...250))"
        let pair = NamespacePair(a: "petrel-\(tag)-a", b: "petrel-\(tag)-b", vethA: "pv\(tag)a", vethB: "pv\(tag)b",
                                 addressA: "\(net).1", addressB: "\(net).2")
        let steps: [[String]] = [
            ["netns", "add", pair.a],
            ["netns", "add", pair.b],
            ["link", "add", pair.vethA, "netns", pair.a, "type", "veth", "peer", "name", pair.vethB, "netns", pair.b],
            ["-n", pair.a, "addr", "add", "\(pair.addressA)/24", "dev", pair.vethA],
            ["-n", pair.b, "addr", "add", "\(pair.addressB)/24", "dev", pair.vethB],
            ["-n", pair.a, "link", "set", "lo", "up"],
            ["-n", pair.b, "link", "set", "lo", "up"],
            ["-n", pair.a, "link", "set", pair.vethA, "up"],
            ["-n", pair.b, "link", "set", pair.vethB, "up"],
            // Scouts go to 224.0.0.224: without a route the kernel has nowhere to send them.
            ["-n", pair.a, "route", "add", "224.0.0.0/4", "dev", pair.vethA],
            ["-n", pair.b, "route", "add", "224.0.0.0/4", "dev", pair.vethB],
        ]
        for step in steps {
            let (status, output) = run(ip, step)
            if status != 0 {
                pair.destroy()
                Issue.record("ip \(step.joined(separator: " ")) failed (\(status)): \(output) — the tests must run as root", sourceLocation: sourceLocation)
                throw TestEnvironment.MissingDependency()
            }
        }
        return pair
    }

    /// Deletes both namespaces (and so the veth pair); safe to call twice.
    func destroy() {
        guard let ip = try? Self.requireIPQuietly() else { return }
        _ = Self.run(ip, ["netns", "del", a])
        _ = Self.run(ip, ["netns", "del", b])
    }

    private static func requireIPQuietly() throws -> String {
        for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        throw TestEnvironment.MissingDependency()
    }

    /// Starts `executable` inside namespace `ns` (`ip netns exec` execs it: same process).
    func start(in ns: String, _ name: String, _ executable: String, _ arguments: [String]) throws -> TestProcess {
        try TestProcess(name, executable: try Self.requireIPQuietly(), arguments: ["netns", "exec", ns, executable] + arguments)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
