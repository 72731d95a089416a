import Foundation
import Logging
import PetrelSession
import PetrelTestSupport
import PetrelTransport
import PetrelWire
import Testing

extension InteropTests {
    /// The session API against a real Zenoh 1.10.2 router.
    @Suite("Petrel sessions against a real Zenoh router", .serialized)
    struct SessionInteropTests {
        @Test("a 4 MiB payload goes both ways, fragmented and reassembled", arguments: ["tcp", "udp"])
        func largePayloads(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let size = 4 << 20
            let session = try await openSession(router.endpoint(proto))
            let received = Collector<Sample>()
            _ = try await session.declareSubscriber("big/from-python") { received.add($0) }
            // Zenoh's own side stays on TCP: a 4 MiB burst from the router over UDP
            // overruns the Python client's socket buffer (Zenoh does not pace UDP).
            // Petrel's side uses `proto`, which is what this test is about.
            let pySub = try await PythonZenoh.startReady(router, proto: "tcp", ["sub", "big/from-petrel", "--summary", "--count", "1", "--timeout", "30"])
            defer { pySub.kill() }

            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            try await session.put("big/from-petrel", payload)
            let line = await pySub.waitForLine(timeout: .seconds(30)) { $0.contains("\"size\"") }
            let got = try #require(line.flatMap(jsonObject))
            #expect(got["size"] as? Int == size)

            _ = try await PythonZenoh.run(router, proto: "tcp", ["put", "big/from-python", "x", "--size", "\(size)"], timeout: .seconds(60))
            let samples = await received.wait(for: 1, timeout: .seconds(30))
            let sample = try #require(samples.first)
            #expect(sample.payload.count == size)
            #expect(Array(sample.payload) == (0..<size).map { UInt8($0 % 251) })
            await session.close()
        }

        @Test("100,000 small reliable puts over TCP arrive complete and in order")
        func manySmallPuts() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let publisherSession = try await openSession(router.tcp)
            let subscriberSession = try await openSession(router.tcp)
            let received = Collector<UInt32>()
            _ = try await subscriberSession.declareSubscriber("count/**") { s in
                received.add(s.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            }
            try await RouterView.waitFor(router, { await $0.subscriber("count/up") }, "the subscriber")
            let publisher = try await publisherSession.declarePublisher("count/up")
            let n = 100_000
            for i in 0..<n {
                var v = UInt32(i).littleEndian
                try await publisher.put(withUnsafeBytes(of: &v) { Array($0) })
            }
            let values = await received.wait(for: n, timeout: .seconds(60))
            #expect(values.count == n)
            #expect(values == (0..<UInt32(n)).map { $0 }, "samples missing or out of order")
            await publisherSession.close()
            await subscriberSession.close()
        }

        @Test("a subscriber receives again after the router is killed and restarted, without being re-created")
        func reconnect() async throws {
            let router = try await ZenohRouter.start()
            let port = router.port
            let logs = LogLines()
            let session = try await openSession(router.tcp, logger: logs.logger("reconnect"))
            let received = Collector<String>()
            _ = try await session.declareSubscriber("re/**") { received.add(String(decoding: $0.payload, as: UTF8.self)) }
            try await RouterView.waitFor(router, { await $0.subscriber("re/a") }, "the subscriber")
            _ = try await PythonZenoh.run(router, ["put", "re/a", "before"])
            #expect(await received.wait(for: 1) == ["before"])

            await router.kill()
            let restarted = try await ZenohRouter.start(port: port)
            defer { restarted.process.kill() }
            // The session reconnects by itself with back-off and re-declares the subscriber.
            let deadline = ContinuousClock.now + .seconds(15)
            while session.connectionCount < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(session.connectionCount == 2)
            try await RouterView.waitFor(restarted, { await $0.subscriber("re/a") }, "the subscriber declared again")
            _ = try await PythonZenoh.run(restarted, ["put", "re/a", "after"])
            #expect(await received.wait(for: 2) == ["before", "after"])
            #expect(logs.values.contains { $0.contains("link down") })
            await session.close()
        }

        @Test("malformed bytes from a peer close that session with a logged reason; the session reconnects")
        func malformedPeer() async throws {
            try TestEnvironment.requirePython()
            let port = TestEnvironment.freePort()
            let fake = try TestProcess("fake peer", executable: TestEnvironment.python,
                                       arguments: [TestEnvironment.script("fake_zenoh_peer.py"), "\(port)"])
            defer { fake.kill() }
            #expect(await fake.waitForLine { $0 == "listening" } != nil)
            let logs = LogLines()
            var config = SessionConfig(connect: [try Endpoint("tcp/127.0.0.1:\(port)")])
            config.reconnect.initialDelay = .milliseconds(50)
            config.reconnect.maxDelay = .milliseconds(200)
            let session = try await Session.open(config, waitForRouter: .seconds(5),
                                                 logger: logs.logger("malformed"))
            let deadline = ContinuousClock.now + .seconds(10)
            while session.connectionCount < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(session.connectionCount >= 3, "the session should keep reconnecting after each malformed batch")
            let closes = logs.values.filter { $0.contains("session closed") && $0.contains("malformed") }
            #expect(!closes.isEmpty, "logs: \(logs.values)")
            await session.close()
        }

        @Test("liveliness: tokens are seen by liveliness subscribers and gets through the router")
        func liveliness() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let watcher = try await openSession(router.tcp)
            let events = Collector<String>()
            _ = try await watcher.declareLivelinessSubscriber("alive/**", history: true) { s in events.add("\(s.kind) \(s.key)") }
            let py = try await PythonZenoh.startReady(router, ["liveliness-token", "alive/python", "--timeout", "30"])
            #expect(await events.wait(for: 1) == ["put alive/python"])

            let owner = try await openSession(router.tcp)
            let token = try await owner.declareToken("alive/petrel")
            #expect(await events.wait(for: 2).contains("put alive/petrel"))
            var alive: [String] = []
            for await r in try await watcher.livelinessGet("alive/**", timeout: .seconds(5)) { if let s = r.sample { alive.append(s.key) } }
            #expect(alive.sorted() == ["alive/petrel", "alive/python"])
            token.undeclare()
            #expect(await events.wait(for: 3).contains("delete alive/petrel"))
            py.kill()
            await owner.close()
            await watcher.close()
        }

        @Test("a session's own puts reach its own subscribers (the router never echoes them)")
        func localDelivery() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let session = try await openSession(router.tcp)
            let got = Collector<String>()
            _ = try await session.declareSubscriber("self/**") { got.add($0.key) }
            try await session.put("self/x", "1")
            #expect(await got.wait(for: 1, timeout: .seconds(2)) == ["self/x"])
            // Subscribers declared or undeclared between puts on one key are
            // seen at once (local delivery goes through the route cache).
            let second = Collector<String>()
            let late = try await session.declareSubscriber("self/x") { second.add(String(decoding: $0.payload, as: UTF8.self)) }
            try await session.put("self/x", "2")
            late.undeclare()
            try await session.put("self/x", "3")
            #expect(await got.wait(for: 3, timeout: .seconds(2)).count == 3)
            #expect(second.values == ["2"])
            await session.close()
        }
    }
}

extension InteropTests {
    /// Petrel against a scripted peer (scripts/fake_zenoh_peer.py) that shakes
    /// hands like a zenoh 1.10.2 router, then sends what a real router would not.
    @Suite("Petrel sessions against a scripted misbehaving peer", .serialized)
    struct ScriptedPeerTests {
        func start(_ scenario: String) async throws -> (TestProcess, Int) {
            try TestEnvironment.requirePython()
            let port = TestEnvironment.freePort()
            let fake = try TestProcess("fake peer", executable: TestEnvironment.python,
                                       arguments: [TestEnvironment.script("fake_zenoh_peer.py"), "\(port)", "--scenario", scenario])
            #expect(await fake.waitForLine { $0 == "listening" } != nil)
            return (fake, port)
        }

        @Test("duplicate and stale frames are dropped; gaps are accepted")
        func sequenceNumbers() async throws {
            let (fake, port) = try await start("sequence")
            defer { fake.kill() }
            let session = try await openSession("tcp/127.0.0.1:\(port)")
            let got = Collector<String>()
            _ = try await session.declareSubscriber("seq/**") { got.add(String(decoding: $0.payload, as: UTF8.self)) }
            #expect(await fake.waitForLine { $0.hasPrefix("sent") } != nil)
            #expect(await got.wait(for: 3, timeout: .seconds(5)) == ["1", "2", "3 after a gap"])
            await quietPeriod(.milliseconds(200))
            #expect(got.values == ["1", "2", "3 after a gap"])
            await session.close()
        }

        @Test("an oversized or gapped reassembly is rejected without crashing; the session goes on")
        func badReassembly() async throws {
            let (fake, port) = try await start("fragments")
            defer { fake.kill() }
            let logs = LogLines()
            let session = try await openSession("tcp/127.0.0.1:\(port)", logger: logs.logger("frag")) {
                $0.transport.maxMessageSize = 4096
            }
            let got = Collector<String>()
            _ = try await session.declareSubscriber("frag/**") { got.add("\($0.key) \($0.payload.count)") }
            #expect(await got.wait(for: 2, timeout: .seconds(5)) == ["frag/ok 2048", "frag/done 4"])
            #expect(logs.values.contains { $0.contains("larger than 4096") })
            #expect(session.connectionCount == 1, "the session must survive bad reassemblies")
            await session.close()
        }
    }
}

extension InteropTests {
    @Suite("Lease and keep-alive against a real Zenoh router")
    struct LeaseTests {
        @Test("an idle session stays up for many leases; a silent router is noticed within one lease", arguments: ["tcp", "udp"])
        func lease(proto: String) async throws {
            // Short leases on both sides so "many leases" fits in a test.
            let router = try await ZenohRouter.start(extraArguments: ["--lease", "1000"])
            defer { router.thaw(); router.process.kill() }
            let logs = LogLines()
            let session = try await openSession(router.endpoint(proto), logger: logs.logger("lease")) {
                $0.transport.leaseMilliseconds = 1000
            }
            #expect(session.currentTransport?.parameters.remoteLeaseMilliseconds == 1000)
            await quietPeriod(.seconds(4))
            #expect(session.isConnected && session.connectionCount == 1, "the idle session was dropped: \(logs.values)")

            router.freeze()
            let frozenAt = ContinuousClock.now
            while session.isConnected && ContinuousClock.now - frozenAt < .seconds(5) { try await Task.sleep(for: .milliseconds(20)) }
            let noticed = ContinuousClock.now - frozenAt
            #expect(!session.isConnected)
            #expect(noticed <= .milliseconds(2000), "silence noticed after \(noticed), lease 1 s")
            #expect(logs.values.contains { $0.contains("silent for its whole lease") })
            router.thaw()
            await session.close()
        }
    }
}

