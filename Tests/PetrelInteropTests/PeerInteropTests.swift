import Foundation
import Logging
import PetrelSession
import PetrelTransport
import PetrelWire
import Testing

/// A real Zenoh peer (Python API, peer mode, no router) run by scripts/zenoh_peer.py.
struct PythonPeer {
    let name: String
    let process: TestProcess
    let zid: String
    let endpoint: String

    static func start(name: String, port: Int, extra: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> PythonPeer {
        try TestEnvironment.requirePython()
        let endpoint = "tcp/127.0.0.1:\(port)"
        let p = try TestProcess("python peer \(name)", executable: TestEnvironment.python,
                                arguments: [TestEnvironment.script("zenoh_peer.py"), "--name", name, "--listen", endpoint] + extra)
        guard let line = await p.waitForLine(where: { $0.contains("\"ready\"") }),
              let zid = jsonObject(line)?["zid"] as? String else {
            Issue.record("python peer \(name) did not start: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
            throw PeerFailed()
        }
        return PythonPeer(name: name, process: p, zid: zid, endpoint: endpoint)
    }

    struct PeerFailed: Error {}

    /// Samples its subscribers printed.
    var samples: [(key: String, payload: String)] {
        process.output.compactMap(jsonObject).compactMap { d in
            guard d["sub"] != nil, let k = d["key"] as? String, let p = d["payload"] as? String else { return nil }
            return (k, p)
        }
    }

    /// Asks it, over Zenoh, to run a command (see zenoh_peer.py); returns its answer.
    func command(_ what: String, _ body: [String: Any], via session: Session, timeout: Duration = .seconds(15)) async throws -> String? {
        let payload = Array(try JSONSerialization.data(withJSONObject: body))
        let stream = try await session.get("ctl/\(name)/\(what)", timeout: timeout, payload: payload)
        for await r in stream {
            if case .success(let s) = r.result { return String(decoding: s.payload, as: UTF8.self) }
        }
        return nil
    }

    func stop() async {
        process.terminate()
        _ = await process.waitForExit(timeout: .seconds(10))
    }
}

/// Opens a Petrel session in peer mode on loopback.
func openPeer(listen port: Int, connect: [String], logger: Logger = Logger(label: "test.peer"),
              configure: (inout SessionConfig) -> Void = { _ in }) async throws -> Session {
    var config = SessionConfig(connect: try connect.map { try Endpoint($0) })
    config.mode = .peer
    config.listen = [try Endpoint("tcp/127.0.0.1:\(port)")]
    config.reconnect.initialDelay = .milliseconds(50)
    config.reconnect.maxDelay = .milliseconds(500)
    configure(&config)
    return try await Session.open(config, logger: logger)
}

extension InteropTests {
    /// Petrel in peer mode with real Zenoh peers and no router.
    @Suite("Petrel peers with Zenoh peers, no router", .serialized)
    struct PeerInteropTests {
        @Test("a Petrel peer and a Python peer exchange samples, queries and tokens both ways")
        func petrelAndPythonPeer() async throws {
            let python = try await PythonPeer.start(name: "py", port: TestEnvironment.freePort(),
                                                    extra: ["--sub", "pp/fromPetrel/**", "--queryable", "pp/python/q=from-python",
                                                            "--token", "pp/tok/python"])
            let petrel = try await openPeer(listen: TestEnvironment.freePort(), connect: [python.endpoint])
            let received = Collector<Sample>()
            let sub = try await petrel.declareSubscriber("pp/fromPython/**") { received.add($0) }
            let q = try await petrel.declareQueryable("pp/petrel/q") { query in
                query.reply("pp/petrel/q", "from-petrel")
            }
            let token = try await petrel.declareToken("pp/tok/petrel")

            #expect(await petrel.waitUntilConnected(timeout: .seconds(15)))
            #expect(petrel.connectedPeers.first?.whatAmI == .peer)
            // Petrel → Python get: answered once the Python peer's declarations arrived.
            let answered = await eventually(timeout: .seconds(15)) {
                let replies = (try? await petrel.getAll("pp/python/q", timeout: .seconds(2))) ?? []
                return replies.contains { (try? $0.result.get()).map { String(decoding: $0.payload, as: UTF8.self) } == "from-python" }
            }
            #expect(answered, "the Python peer's queryable never answered")

            // Petrel → Python pub/sub, straight to the peer that subscribed.
            for i in 0..<3 { try await petrel.put("pp/fromPetrel/\(i)", "petrel-\(i)") }
            let atPython = await eventually(timeout: .seconds(10)) { python.samples.count >= 3 }
            #expect(atPython, "python received \(python.samples)")
            #expect(python.samples.map(\.payload) == ["petrel-0", "petrel-1", "petrel-2"])

            // Python → Petrel pub/sub.
            let put = try await python.command("put", ["key": "pp/fromPython/x", "value": "python", "count": 3], via: petrel)
            #expect(put == "ok")
            let got = await received.wait(for: 3, timeout: .seconds(10))
            #expect(got.count == 3)
            #expect(got.allSatisfy { $0.key == "pp/fromPython/x" && String(decoding: $0.payload, as: UTF8.self) == "python" })

            // Python → Petrel get.
            let answer = try await python.command("get", ["selector": "pp/petrel/q"], via: petrel)
            let replies = (answer.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [[String: Any]]) ?? []
            #expect(replies.count == 1 && replies.first?["payload"] as? String == "from-petrel", "python's get answered \(answer ?? "nothing")")

            // Liveliness: the Python peer's token is known here.
            var tokens: [String] = []
            for await r in try await petrel.livelinessGet("pp/tok/**") {
                if let s = try? r.result.get() { tokens.append(s.key) }
            }
            #expect(tokens == ["pp/tok/python"])
            // ... and Petrel's token at the Python peer.
            let alive = try await python.command("liveliness", ["key": "pp/tok/**"], via: petrel)
            #expect(alive.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String] == ["pp/tok/petrel", "pp/tok/python"],
                    "python's liveliness get answered \(alive ?? "nothing")")

            token.undeclare()
            q.undeclare()
            sub.undeclare()
            await petrel.close()
            await python.stop()
        }

        @Test("a peer that goes away is removed with its tokens; the connect endpoint is dialled again when it returns")
        func peerLeavesAndReturns() async throws {
            let port = TestEnvironment.freePort()
            var python = try await PythonPeer.start(name: "pyr", port: port, extra: ["--sub", "back/**", "--token", "back/tok/python"])
            let petrel = try await openPeer(listen: TestEnvironment.freePort(), connect: [python.endpoint])
            let liveliness = Collector<Sample>()
            let watcher = try await petrel.declareLivelinessSubscriber("back/tok/**", history: true) { liveliness.add($0) }
            let links = Collector<Bool>()
            petrel.onLinkChange { links.add($0) }
            #expect(await petrel.waitForPeerDeclarations(timeout: .seconds(15)))
            #expect(await eventually { liveliness.values.contains { $0.kind == .put && $0.key == "back/tok/python" } })

            // Gone without a word (SIGKILL): the link breaks, the face and its token go.
            python.process.kill()
            _ = await python.process.waitForExit(timeout: .seconds(10))
            #expect(await eventually(timeout: .seconds(15)) { petrel.connectedPeers.isEmpty && !petrel.isConnected })
            #expect(await eventually { liveliness.values.contains { $0.kind == .delete && $0.key == "back/tok/python" } })
            #expect(links.values.last == false)
            // Nobody wants it now: a put is not an error.
            try await petrel.put("back/none", "dropped")

            // Back on the same address: the connect loop finds it again.
            python = try await PythonPeer.start(name: "pyr", port: port, extra: ["--sub", "back/**", "--token", "back/tok/python"])
            #expect(await eventually(timeout: .seconds(20)) { petrel.connectedPeers.count == 1 })
            #expect(await petrel.waitForPeerDeclarations(timeout: .seconds(15)))
            try await petrel.put("back/again", "hello")
            #expect(await eventually(timeout: .seconds(10)) { python.samples.contains { $0.key == "back/again" } })
            #expect(!python.samples.contains { $0.key == "back/none" })
            #expect(links.values.last == true)

            watcher.undeclare()
            await petrel.close()
            await python.stop()
        }

        @Test("petrel agent in peer mode: its heartbeat reaches a Python peer and its admin space answers that peer's get")
        func agentAsPeer() async throws {
            try TestEnvironment.requirePetrel()
            let python = try await PythonPeer.start(name: "pya", port: TestEnvironment.freePort(), extra: ["--sub", "peerfarm/**"])
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-peer-agent-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = dir + "/agent.json5"
            try """
                {
                  mode: "peer",
                  listen: { endpoints: ["tcp/127.0.0.1:\(TestEnvironment.freePort())"] },
                  connect: { endpoints: ["\(python.endpoint)"] },
                  heartbeat: { key: "peerfarm/{hostname}/heartbeat", interval: "1s" },
                  buffer: { dir: "\(dir)/buffer" },
                }
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let agent = try PetrelTool.start(["agent", "-c", config])
            defer { agent.kill() }
            #expect(await eventually(timeout: .seconds(30)) { python.samples.contains { $0.key.hasSuffix("/heartbeat") } },
                    "no heartbeat at the Python peer; agent said: \(agent.errorOutput.suffix(8))")
            // The Python peer's get reaches the agent's admin space directly.
            let control = try await openPeer(listen: TestEnvironment.freePort(), connect: [python.endpoint])
            #expect(await control.waitForPeerDeclarations(timeout: .seconds(15)))
            let answer = try await python.command("get", ["selector": "@/**/petrel/status"], via: control)
            let replies = (answer.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [[String: Any]]) ?? []
            let status = replies.first.flatMap { ($0["payload"] as? String).flatMap(jsonObject) }
            #expect(status?["mode"] as? String == "peer", "python's get answered \(answer ?? "nothing")")
            // Its admin space lists the peers it has sessions with (the Python peer and the test's own).
            let sessions = try await python.command("get", ["selector": "@/**/petrel/sessions"], via: control)
            let listed = (sessions.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [[String: Any]])?.first
                .flatMap { ($0["payload"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } }
            let peerIDs = Set(((listed as? [[String: Any]]) ?? (listed as? [String: Any])?["sessions"] as? [[String: Any]] ?? [])
                .filter { $0["role"] as? String == "peer" }.compactMap { $0["peer"] as? String })
            #expect(peerIDs.contains(python.zid), "sessions: \(sessions ?? "nothing")")
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(15)) == 0)
            await control.close()
            await python.stop()
        }

        @Test("gossip in a line of four peers that dial nobody: one hop by default, every node with multihop", arguments: [false, true])
        func gossipHops(multihop: Bool) async throws {
            let ports = (0..<4).map { _ in TestEnvironment.freePort() }
            func peer(_ n: Int, connect: Int?) async throws -> Session {
                try await openPeer(listen: ports[n], connect: connect.map { ["tcp/127.0.0.1:\(ports[$0])"] } ?? []) { c in
                    c.scouting.gossip.autoconnect = []
                    c.scouting.gossip.multihop = multihop
                }
            }
            // A <- B <- C <- D, each dialling the one before, in that order.
            let a = try await peer(0, connect: nil)
            let b = try await peer(1, connect: 0)
            #expect(await b.waitForPeerDeclarations(timeout: .seconds(10)))
            let c = try await peer(2, connect: 1)
            #expect(await c.waitForPeerDeclarations(timeout: .seconds(10)))
            let d = try await peer(3, connect: 2)
            #expect(await d.waitForPeerDeclarations(timeout: .seconds(10)))
            // C is B's neighbour: A hears of it either way. D is two hops from A.
            #expect(await eventually(timeout: .seconds(10)) { a.gossipedLocators[c.zid] == ["tcp/127.0.0.1:\(ports[2])"] })
            #expect(await eventually(timeout: .seconds(10)) { b.gossipedLocators[d.zid] == ["tcp/127.0.0.1:\(ports[3])"] })
            if multihop {
                #expect(await eventually(timeout: .seconds(10)) { a.gossipedLocators[d.zid] == ["tcp/127.0.0.1:\(ports[3])"] })
            } else {
                await quietPeriod(.seconds(1))
                #expect(a.gossipedLocators[d.zid] == nil)
            }
            // Nobody dialled what it heard of.
            #expect(a.connectedPeers.count == 1 && d.connectedPeers.count == 1)
            for s in [a, b, c, d] { await s.close() }
        }

        @Test("the tools as peers: petrel sub -m peer -l takes a Python client's puts; petrel put -m peer -e reaches a Python peer")
        func toolsAsPeers() async throws {
            try TestEnvironment.requirePetrel()
            let python = try await PythonPeer.start(name: "pyt", port: TestEnvironment.freePort(), extra: ["--sub", "tools/**"])
            let listen = "tcp/127.0.0.1:\(TestEnvironment.freePort())"
            let sub = try PetrelTool.start(["sub", "-m", "peer", "-l", listen, "tools/**", "--count", "1", "--json", "--timeout", "30"])
            defer { sub.kill() }
            let received = await eventually(timeout: .seconds(20)) {
                let put = try? TestProcess("python put", executable: TestEnvironment.python,
                                           arguments: [TestEnvironment.script("zenoh_client.py"), "-e", listen, "put", "tools/in", "from-client"])
                _ = await put?.waitForExit(timeout: .seconds(10))
                return sub.output.contains { $0.contains("tools/in") }
            }
            #expect(received, "petrel sub printed \(sub.output), said \(sub.errorOutput.suffix(3))")
            let put = try PetrelTool.start(["put", "-m", "peer", "-e", python.endpoint, "tools/out", "from-petrel"])
            #expect(await put.waitForExit(timeout: .seconds(20)) == 0, "\(put.errorOutput)")
            #expect(await eventually(timeout: .seconds(10)) { python.samples.contains { $0.key == "tools/out" && $0.payload == "from-petrel" } })
            await python.stop()
        }

        @Test("two Petrel peers and a Python peer form a clique from one known address; each sees the others' data once")
        func cliqueOfThree() async throws {
            let python = try await PythonPeer.start(name: "pyc", port: TestEnvironment.freePort(),
                                                    extra: ["--sub", "clique/**", "--queryable", "clique/q=P"])
            let a = try await openPeer(listen: TestEnvironment.freePort(), connect: [python.endpoint])
            // B knows only the Python peer: gossip tells it where A listens.
            let b = try await openPeer(listen: TestEnvironment.freePort(), connect: [python.endpoint])
            let atA = Collector<Sample>()
            let atB = Collector<Sample>()
            let subA = try await a.declareSubscriber("clique/**") { atA.add($0) }
            let subB = try await b.declareSubscriber("clique/**") { atB.add($0) }

            let clique = await eventually(timeout: .seconds(20)) { a.connectedPeers.count == 2 && b.connectedPeers.count == 2 }
            #expect(clique, "A has \(a.connectedPeers.map(\.zid)), B has \(b.connectedPeers.map(\.zid))")
            let pythonSeesBoth = await eventually(timeout: .seconds(15)) {
                let peers = (try? await python.command("peers", [:], via: a)) ?? nil
                return ((peers.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String]) ?? []).count == 2
            }
            #expect(pythonSeesBoth)
            // Each knows the others' subscribers before publishing (their declarations follow the open).
            try await Task.sleep(for: .milliseconds(500))

            for i in 0..<5 {
                try await a.put("clique/A/\(i)", "A\(i)")
                try await b.put("clique/B/\(i)", "B\(i)")
            }
            #expect(try await python.command("put", ["key": "clique/P", "value": "P", "count": 5], via: a) == "ok")

            func others(_ samples: [String], not prefix: String) -> [String] { samples.filter { !$0.hasPrefix(prefix) } }
            let done = await eventually(timeout: .seconds(15)) {
                others(atA.values.map(\.key), not: "clique/A").count >= 10 && others(atB.values.map(\.key), not: "clique/B").count >= 10
                    && others(python.samples.map(\.key), not: "clique/P").count >= 10
            }
            #expect(done)
            // Duplicates would arrive a little later: give them the time.
            await quietPeriod(.seconds(1))
            let seenByA = others(atA.values.map(\.key), not: "clique/A")
            let seenByB = others(atB.values.map(\.key), not: "clique/B")
            let seenByPython = others(python.samples.map(\.key), not: "clique/P")
            #expect(seenByA.sorted() == ((0..<5).map { "clique/B/\($0)" } + Array(repeating: "clique/P", count: 5)).sorted())
            #expect(seenByB.sorted() == ((0..<5).map { "clique/A/\($0)" } + Array(repeating: "clique/P", count: 5)).sorted())
            #expect(seenByPython.sorted() == ((0..<5).map { "clique/A/\($0)" } + (0..<5).map { "clique/B/\($0)" }).sorted())

            // A query goes to every peer with a matching queryable; replies are consolidated as for a client.
            let qB = try await b.declareQueryable("clique/q") { $0.reply("clique/q", "B") }
            let bothAnswer = await eventually(timeout: .seconds(10)) {
                let replies = (try? await a.getAll("clique/q", consolidation: .none, timeout: .seconds(3))) ?? []
                return Set(replies.compactMap { (try? $0.result.get()).map { String(decoding: $0.payload, as: UTF8.self) } }) == ["B", "P"]
            }
            #expect(bothAnswer)
            let latest = try await a.getAll("clique/q", consolidation: .latest, timeout: .seconds(3))
            #expect(latest.count == 1, "latest consolidation kept \(latest.count) replies on one key")
            qB.undeclare()

            subA.undeclare()
            subB.undeclare()
            await a.close()
            await b.close()
            await python.stop()
        }
    }
}
