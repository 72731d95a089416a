import Foundation
import PetrelSession
import PetrelTime
import Synchronization
import Testing

/// One key's latest entry as an aligner reports it (`@-aligner/<zid>/state`).
struct AlignedEntry: Equatable, CustomStringConvertible {
    var timestamp: String
    var tombstone: Bool
    var description: String { (tombstone ? "DEL@" : "PUT@") + timestamp }
}

/// Reads an aligner's state through a session connected to the router.
func alignerState(_ session: Session, zid: String) async -> [String: AlignedEntry]? {
    guard let replies = try? await session.getAll("@-aligner/\(zid)/state", timeout: .seconds(3)),
          let sample = replies.compactMap(\.sample).first,
          let object = try? JSONSerialization.jsonObject(with: Data(sample.payload)) as? [String: Any],
          let entries = object["entries"] as? [[String: Any]] else { return nil }
    var out: [String: AlignedEntry] = [:]
    for e in entries {
        guard let key = e["key"] as? String, let ts = e["timestamp"] as? String, let t = e["tombstone"] as? Bool else { return nil }
        out[key] = AlignedEntry(timestamp: ts, tombstone: t)
    }
    return out
}

/// A `petrel replica` process of the test (restartable on the same data directory).
final class ReplicaNode: Sendable {
    let name: String
    let zid: String
    let endpoint: String
    let directory: String
    let clockOffsetMs: Int
    private let current = Mutex<TestProcess?>(nil)
    /// Every process this node ran, for their logs.
    private let all = Mutex<[TestProcess]>([])

    init(name: String, zid: String, endpoint: String, directory: String, clockOffsetMs: Int) {
        self.name = name
        self.zid = zid
        self.endpoint = endpoint
        self.directory = directory
        self.clockOffsetMs = clockOffsetMs
    }

    func start() throws {
        try TestEnvironment.requirePetrel()
        let p = try TestProcess("replica \(name)", executable: TestEnvironment.petrel,
                                arguments: ["replica", "-k", "site/**", "-e", endpoint, "-d", directory, "--id", zid,
                                            "--digest-interval", "0.3"],
                                environment: ["PETREL_TEST_CLOCK_OFFSET_MS": "\(clockOffsetMs)"])
        current.withLock { $0 = p }
        all.withLock { $0.append(p) }
    }

    /// SIGKILL: no goodbye, whatever was not written is lost.
    func kill() {
        current.withLock { p in
            p?.kill()
            p = nil
        }
    }

    func stop() {
        current.withLock { p in
            p?.kill()
            p = nil
        }
    }

    var logs: [String] { all.withLock { $0.flatMap(\.errorOutput) } }
}

/// A `petrel agent` with an aligned key-value storage (the edge), whose
/// gateway the test's device sessions connect to.
final class EdgeNode: Sendable {
    let name: String
    let zid: String
    let key: String
    let endpoint: String
    let listenPort: Int
    let directory: String
    let clockOffsetMs: Int
    private let current = Mutex<TestProcess?>(nil)

    init(name: String, zid: String, key: String, endpoint: String, listenPort: Int, directory: String, clockOffsetMs: Int) {
        self.name = name
        self.zid = zid
        self.key = key
        self.endpoint = endpoint
        self.listenPort = listenPort
        self.directory = directory
        self.clockOffsetMs = clockOffsetMs
    }

    var listenEndpoint: String { "tcp/127.0.0.1:\(listenPort)" }

    func start() throws {
        try TestEnvironment.requirePetrel()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/agent.json5"
        try """
            { id: "\(zid)", storages: [ { key: "\(key)", align: { interval: "300ms" } } ], heartbeat: { interval: "0s" } }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let p = try TestProcess("edge \(name)", executable: TestEnvironment.petrel,
                                arguments: ["agent", "-c", file, "-e", endpoint, "-l", listenEndpoint],
                                environment: ["PETREL_DATA_DIR": directory, "PETREL_TEST_CLOCK_OFFSET_MS": "\(clockOffsetMs)"])
        current.withLock { $0 = p }
    }

    func stop() {
        current.withLock { p in
            p?.kill()
            p = nil
        }
    }

    var logs: [String] { current.withLock { $0?.errorOutput ?? [] } }
}

/// A physical clock running `offsetMs` ahead of the system's (behind if negative): skewed writers.
struct SkewedClock: PhysicalClock {
    let offsetMs: Int64
    func now() -> NTP64 {
        let t = SystemClock().now().rawValue
        let d = NTP64.duration(milliseconds: UInt64(offsetMs.magnitude))
        return NTP64(rawValue: offsetMs >= 0 ? t &+ d : t &- d)
    }
}

/// Milliseconds from link-up to the first reconciliation, as the processes logged them;
/// `trigger`: only those started by it ("link-up": a peer known before; "discovery": found
/// by the discovery get, as a process that has just started finds them; "digest").
func reconcileStartTimes(_ logs: [String], trigger: String? = nil) -> [Double] {
    logs.compactMap { line -> Double? in
        guard line.contains("reconciliation started after link-up"), let r = line.range(of: "sinceLinkUpMs=") else { return nil }
        if let trigger, !line.contains("trigger=\(trigger) ") { return nil }
        return Double(line[r.upperBound...].prefix { $0.isNumber || $0 == "." })
    }
}

/// "n=… median=… max=…" of some milliseconds.
func summary(_ ms: [Double]) -> String {
    let s = ms.sorted()
    return s.isEmpty ? "n=0" : "n=\(s.count) median=\(s[s.count / 2]) max=\(s.last!)"
}

/// Two `petrel replica`s of the test, r1 and r2, each reaching a real router
/// (timestamping off, so samples keep the writers' timestamps) through the
/// fault proxy, and a session that has seen both answer on their aligners.
struct TwoReplicas {
    let router: ZenohRouter
    let proxy: FaultProxy
    let r1: ReplicaNode
    let r2: ReplicaNode
    let observer: Session

    /// `zidSalt` keeps the replicas' ZIDs apart from other tests' in logs.
    static func start(root: String, proxySeed: UInt64, zidSalt: UInt64) async throws -> TwoReplicas {
        let router = try await ZenohRouter.start(extraArguments: ["--no-timestamping"])
        var started = false
        defer { if !started { router.process.kill() } }
        let proxy = try await FaultProxy.start(["r1", "r2"].map {
            .init(name: $0, proto: "tcp", listenPort: TestEnvironment.freePort(), targetPort: router.port)
        }, seed: proxySeed, directory: root)
        defer { if !started { proxy.process.kill() } }
        let r1 = ReplicaNode(name: "r1", zid: InteropTests.AlignmentInteropTests.zidHex(1, zidSalt), endpoint: proxy.endpoint("r1"),
                             directory: root + "/r1", clockOffsetMs: 0)
        let r2 = ReplicaNode(name: "r2", zid: InteropTests.AlignmentInteropTests.zidHex(2, zidSalt), endpoint: proxy.endpoint("r2"),
                             directory: root + "/r2", clockOffsetMs: 0)
        try r1.start()
        defer { if !started { r1.stop() } }
        try r2.start()
        defer { if !started { r2.stop() } }
        let observer = try await openSession(router.tcp)
        let ready = await eventually(timeout: .seconds(20)) {
            let a = await alignerState(observer, zid: r1.zid), b = await alignerState(observer, zid: r2.zid)
            return a != nil && b != nil
        }
        #expect(ready, "the replicas never answered on their aligners")
        started = true
        return TwoReplicas(router: router, proxy: proxy, r1: r1, r2: r2, observer: observer)
    }

    /// Stops both replicas, the proxy and the router.
    func stop() {
        r1.stop()
        r2.stop()
        proxy.process.kill()
        router.process.kill()
    }
}
