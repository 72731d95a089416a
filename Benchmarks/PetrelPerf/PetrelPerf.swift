import ArgumentParser
import Foundation
import PetrelSession
import PetrelTransport
import PetrelWire
import Synchronization

/// Throughput and latency of Petrel sessions through a router, in the shape of
/// Zenoh's own z_pub_thr / z_sub_thr / z_ping / z_pong, so the same runs can be
/// made with Zenoh's Python API (scripts/zenoh_perf.py) beside them.
@main
struct PetrelPerf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel-perf",
        abstract: "Petrel session benchmarks (run by scripts/bench).",
        subcommands: [PubThroughput.self, SubThroughput.self, Ping.self, Pong.self])
}

struct Common: ParsableArguments {
    @Option(name: [.customShort("e"), .customLong("connect")]) var connect: String?
    @Option(help: "Session mode: client (through a router) or peer (straight to the other peer, no router).") var mode: String = "client"
    @Option(name: [.customShort("l"), .customLong("listen")], help: "Peer mode: endpoint to listen on.") var listen: String?
    @Option(help: "Payload size in bytes.") var size: Int = 8
    @Flag(help: "Do not offer QoS (one priority channel), as zenoh-pico clients do.") var noQos = false
    @Flag(help: """
        Ping/pong: send with the express flag (Zenoh's Rust z_ping does by default). Without it, as a \
        put with default options and as zenoh-pico's z_ping sends.
        """) var express = false
    @Flag(help: "Ping/pong: congestion control Drop instead of Block.") var drop = false

    var pingPongOptions: PutOptions {
        var o = PutOptions()
        o.express = express
        if drop { o.congestionControl = .drop }
        return o
    }

    func open() async throws -> Session {
        guard mode == "peer" else {
            var config = SessionConfig(connect: [try Endpoint(connect ?? "tcp/127.0.0.1:7447")])
            config.transport.qos = !noQos
            return try await Session.open(config, waitForRouter: .seconds(10))
        }
        // A listening peer (the pong) waits for whoever dials it; a dialling
        // one (the ping) for the other's declarations, so its first put is routed.
        var config = SessionConfig(connect: try connect.map { [try Endpoint($0)] } ?? [])
        config.mode = .peer
        config.listen = try listen.map { [try Endpoint($0)] } ?? []
        config.transport.qos = !noQos
        let session = try await Session.open(config)
        if connect != nil { _ = await session.waitForPeerDeclarations(timeout: .seconds(10)) }
        return session
    }
}

struct PubThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pub-thr", abstract: "Publish as fast as possible for a while.")
    @OptionGroup var common: Common
    @Option(help: "Seconds to publish.") var seconds: Double = 10

    func run() async throws {
        let session = try await common.open()
        let publisher = try await session.declarePublisher("test/thr")
        let payload = Array(repeating: UInt8(1), count: common.size)[...]
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var n = 0
        while ContinuousClock.now < end {
            for _ in 0..<1000 { try await publisher.put(payload) }
            n += 1000
        }
        print("published \(n)")
        await session.close()
    }
}

struct SubThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sub-thr", abstract: "Count received messages per second.")
    @OptionGroup var common: Common
    @Option(help: "Seconds to measure, after the first message.") var seconds: Double = 5
    @Option(help: "Seconds to skip after the first message (warm-up).") var warmup: Double = 1

    func run() async throws {
        let session = try await common.open()
        let counter = Counter()
        _ = try await session.declareSubscriber("test/thr") { _ in counter.value.add(1, ordering: .relaxed) }
        print("ready"); fflush(nil)
        while counter.value.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(Int64(warmup * 1000)))
        let start = ContinuousClock.now
        let c0 = counter.value.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let c1 = counter.value.load(ordering: .relaxed)
        let elapsed = ContinuousClock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print(String(format: "msgs_per_s %.0f", Double(c1 - c0) / secs))
        print("rss_kb \(residentKB())")
        await session.close()
    }
}

struct Pong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pong", abstract: "Echo test/ping to test/pong.")
    @OptionGroup var common: Common
    @Option(help: "Seconds to run.") var seconds: Double = 60

    func run() async throws {
        let session = try await common.open()
        let publisher = try await session.declarePublisher("test/pong", options: common.pingPongOptions)
        // Answered from the subscriber callback, on the link's thread: no task
        // or thread hop between receiving the ping and writing the pong.
        _ = try await session.declareSubscriber("test/ping") { try? publisher.putWithoutWaiting($0.payload) }
        print("ready"); fflush(nil)
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        await session.close()
    }
}

struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Measure round trips through a pong.")
    @OptionGroup var common: Common
    @Option(help: "Round trips to measure.") var samples: Int = 5000
    @Option(help: "Round trips before measuring.") var warmup: Int = 500
    @Flag(help: """
        Wait for the pongs busy-spinning, as zenoh-pico's z_ping does, instead of sleeping: one core stays \
        busy, so the round trip no longer includes waking an idle core.
        """) var spin = false

    func run() async throws {
        let session = try await common.open()
        let publisher = try await session.declarePublisher("test/ping", options: common.pingPongOptions)
        // Each pong's arrival (on the link's thread) times the round trip and
        // sends the next ping from there at once: no thread hop in between.
        let total = warmup + samples
        let run = PingRun(total: total)
        let payload = Array(repeating: UInt8(7), count: common.size)[...]
        _ = try await session.declareSubscriber("test/pong") { _ in
            if run.arrived() { try? publisher.putWithoutWaiting(payload) }
        }
        try await Task.sleep(for: .milliseconds(500))
        run.start()
        try publisher.putWithoutWaiting(payload)
        let deadline = ContinuousClock.now + .seconds(60)
        var seen = 0
        var lastProgress = ContinuousClock.now
        var lost = 0
        while !run.isDone && ContinuousClock.now < deadline {
            if !spin { try await Task.sleep(for: .milliseconds(10)) }
            let now = ContinuousClock.now
            if run.count != seen {
                seen = run.count
                lastProgress = now
            } else if now - lastProgress > .seconds(1) {
                // A ping or pong went missing (e.g. sent before the router knew the
                // pong's subscriber): start the chain again instead of waiting out the run.
                lost += 1
                lastProgress = now
                run.start()
                try publisher.putWithoutWaiting(payload)
            }
        }
        var rtts = Array(run.rtts.dropFirst(warmup))
        rtts.sort()
        guard !rtts.isEmpty else { throw ExitCode(1) }
        print(String(format: "rtt_us median %.1f p99 %.1f n %d", rtts[rtts.count / 2], rtts[min(rtts.count - 1, rtts.count * 99 / 100)], rtts.count)
              + (lost > 0 ? " restarted \(lost)" : ""))
        await session.close()
    }
}

/// Round-trip times of a ping run, recorded from the link's thread.
final class PingRun: Sendable {
    private struct State {
        var sentAt = ContinuousClock.now
        var rtts: [Double] = []
    }
    private let state = Mutex(State())
    private let counter = Atomic<Int>(0)
    let total: Int

    init(total: Int) {
        self.total = total
        state.withLock { $0.rtts.reserveCapacity(total) }
    }

    func start() { state.withLock { $0.sentAt = ContinuousClock.now } }

    /// Records a pong; returns whether another ping should go.
    func arrived() -> Bool {
        state.withLock { s in
            let now = ContinuousClock.now
            let d = now - s.sentAt
            s.rtts.append(Double(d.components.attoseconds) * 1e-12 + Double(d.components.seconds) * 1e6)
            s.sentAt = now
            counter.store(s.rtts.count, ordering: .releasing)
            return s.rtts.count < total
        }
    }

    /// Pongs seen so far; read without the lock so a spinning waiter does not contend with the link's thread.
    var count: Int { counter.load(ordering: .acquiring) }
    var isDone: Bool { count >= total }
    var rtts: [Double] { state.withLock { $0.rtts } }
}

/// Resident set size of this process, from /proc.
func residentKB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

/// A counter shared with a callback (atomics live in a class so their address is stable).
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
