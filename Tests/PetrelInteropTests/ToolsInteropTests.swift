import Foundation
import PetrelSession
import Testing

extension InteropTests {
    /// The `petrel` tools against a real Zenoh 1.10.2 router and Zenoh's own
    /// Python API, over TCP and over UDP.
    @Suite("petrel tools interoperate with a real Zenoh router", .serialized)
    struct ToolsInteropTests {
        @Test("petrel put reaches a Python subscriber with key, payload, encoding and attachment", arguments: ["tcp", "udp"])
        func putReachesPythonSubscriber(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let sub = try await PythonZenoh.startReady(router, proto: proto, ["sub", "farm/**", "--count", "1", "--timeout", "15"])
            let put = try await PetrelTool.run(["put", "-e", router.endpoint(proto), "farm/pi1/air", "21.5",
                                                "--encoding", "text/plain", "--attachment", "unit=C"])
            #expect(put.status == 0, "petrel put failed: \(put.err)")
            let lines = await sub.waitForLines(1, where: { $0.contains("\"key\"") })
            let sample = try #require(lines.first.flatMap(jsonObject))
            #expect(sample["kind"] as? String == "put")
            #expect(sample["key"] as? String == "farm/pi1/air")
            #expect(sample["payload"] as? String == "21.5")
            #expect(sample["encoding"] as? String == "text/plain")
            #expect(sample["attachment"] as? String == "unit=C")
            sub.kill()
        }

        @Test("Python puts reach a petrel subscriber on a wildcard key expression", arguments: ["tcp", "udp"])
        func pythonPutReachesPetrelSubscriber(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let sub = try PetrelTool.start(["sub", "-e", router.endpoint(proto), "farm/*/air/**", "--json", "--count", "3", "--timeout", "20"])
            try await RouterView.waitFor(router, { await $0.subscriber("farm/*/air/**") }, "petrel sub's subscriber")
            _ = try await PythonZenoh.run(router, proto: proto, ["put", "farm/pi1/air/temp", "t{i}", "--count", "2", "--encoding", "application/json"])
            _ = try await PythonZenoh.run(router, proto: proto, ["put", "farm/pi1/air/temp", "x", "--delete"])
            _ = try await PythonZenoh.run(router, proto: proto, ["put", "farm/pi1/soil", "not for us"])
            let status = await sub.waitForExit(timeout: .seconds(20))
            #expect(status == 0, "petrel sub: \(sub.errorOutput)")
            let samples = sub.output.compactMap(jsonObject)
            #expect(samples.count == 3)
            #expect(samples.map { $0["kind"] as? String } == ["put", "put", "delete"])
            #expect(samples.map { $0["key"] as? String } == Array(repeating: "farm/pi1/air/temp", count: 3))
            #expect(samples.prefix(2).map { $0["payload"] as? String } == ["t0", "t1"])
            #expect(samples.first?["encoding"] as? String == "application/json")
            // The router stamps what it forwards (timestamping is on for routers).
            #expect((samples.first?["timestamp"] as? String)?.contains("/") == true)
        }

        @Test("petrel put reaches a petrel subscriber through the router", arguments: ["tcp", "udp"])
        func petrelToPetrel(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let sub = try PetrelTool.start(["sub", "-e", router.endpoint(proto), "demo/**", "--count", "1", "--timeout", "20"])
            try await RouterView.waitFor(router, { await $0.subscriber("demo/**") }, "petrel sub's subscriber")
            let put = try await PetrelTool.run(["put", "-e", router.endpoint(proto), "demo/hello", "from petrel"])
            #expect(put.status == 0)
            #expect(await sub.waitForExit() == 0)
            #expect(sub.output == ["put demo/hello from petrel"])
        }

        @Test("petrel get answers as Zenoh's own get does, for every consolidation mode", arguments: ["tcp", "udp"])
        func getMatchesZenohGet(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            // Stamped replies, the second queryable answering later (so newer): the
            // consolidated result does not depend on which reply wins a race.
            let a = try await PythonZenoh.startReady(router, ["queryable", "shelf/**", "--reply", "shelf/a=A1", "--reply", "shelf/b=B1",
                                                             "--reply", "shelf/c=!delete", "--timestamped", "--timeout", "60"])
            let b = try await PythonZenoh.startReady(router, ["queryable", "shelf/**", "--reply", "shelf/a=A2", "--reply", "shelf/d=D2",
                                                             "--reply", "other/x=outside", "--timestamped", "--delay", "0.3", "--timeout", "60"])
            defer { a.kill(); b.kill() }
            for mode in ["none", "monotonic", "latest", "auto"] {
                let petrel = try await PetrelTool.run(["get", "-e", router.endpoint(proto), "shelf/**?x=1", "--json",
                                                       "--target", "all", "--consolidation", mode, "--timeout", "5"])
                #expect(petrel.status == 0, "petrel get failed: \(petrel.err)")
                let zenoh = try await PythonZenoh.run(router, proto: proto, ["get", "shelf/**?x=1", "--target", "all",
                                                                             "--consolidation", mode, "--timeout", "5"])
                let mine = petrel.out.compactMap(jsonObject).map(Self.replySummary).sorted()
                let theirs = zenoh.compactMap(jsonObject).map(Self.replySummary).sorted()
                #expect(!theirs.isEmpty)
                #expect(mine == theirs, "consolidation \(mode): petrel \(mine) vs zenoh \(theirs)")
            }
        }

        /// What a reply says, without the parts that differ run to run.
        static func replySummary(_ o: [String: Any]) -> String {
            "\(o["kind"] as? String ?? "?") \(o["key"] as? String ?? "") \(o["payload"] as? String ?? "")"
        }

        @Test("a Python get is answered by a petrel queryable", arguments: ["tcp", "udp"])
        func pythonGetFromPetrelQueryable(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let q = try PetrelTool.start(["queryable", "-e", router.endpoint(proto), "farm/pi1/status", "ok", "--timeout", "30"])
            defer { q.kill() }
            try await RouterView.waitFor(router, { await $0.queryable("farm/pi1/status") }, "petrel queryable's queryable")
            let replies = try await PythonZenoh.run(router, proto: proto, ["get", "farm/pi1/**", "--timeout", "5"])
            let objects = replies.compactMap(jsonObject)
            #expect(objects.count == 1)
            #expect(objects.first?["key"] as? String == "farm/pi1/status")
            #expect(objects.first?["payload"] as? String == "ok")
        }

        @Test("a get times out with what arrived and exits 0")
        func getTimeout() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let fast = try await PythonZenoh.startReady(router, ["queryable", "slow/**", "--reply", "slow/fast=early", "--timeout", "30"])
            let slow = try await PythonZenoh.startReady(router, ["queryable", "slow/**", "--reply", "slow/late=late", "--delay", "4", "--timeout", "30"])
            defer { fast.kill(); slow.kill() }
            let started = ContinuousClock.now
            let r = try await PetrelTool.run(["get", "-e", router.tcp, "slow/**", "--target", "all", "--consolidation", "none", "--timeout", "1.5"])
            let took = ContinuousClock.now - started
            #expect(r.status == 0)
            #expect(r.out == ["put slow/fast early"], "only the reply that came before the timeout: \(r.out)")
            #expect(took < .seconds(4), "get took \(took) with a 1.5 s timeout")
        }

        @Test("priority, express and best-effort puts reach Zenoh with their QoS", arguments: ["tcp", "udp"])
        func qos(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let sub = try await PythonZenoh.startReady(router, proto: proto, ["sub", "qos/**", "--count", "2", "--timeout", "15"])
            defer { sub.kill() }
            let session = try await openSession(router.endpoint(proto))
            var o = PutOptions()
            o.priority = .interactiveHigh
            o.express = true
            try await session.put("qos/high", "h", options: o)
            var b = PutOptions()
            b.reliability = .bestEffort
            b.congestionControl = .drop
            try await session.put("qos/besteffort", "b", options: b)
            let lines = await sub.waitForLines(2, where: { $0.contains("\"key\"") }).compactMap(jsonObject)
            let byKey = Dictionary(uniqueKeysWithValues: lines.compactMap { o in (o["key"] as? String).map { ($0, o) } })
            #expect(byKey["qos/high"]?["priority"] as? String == "INTERACTIVE_HIGH")
            #expect(byKey["qos/high"]?["express"] as? Bool == true)
            #expect(byKey["qos/besteffort"]?["payload"] as? String == "b")
            await session.close()
        }

        @Test("with no router reachable, tools say so and exit non-zero")
        func noRouter() async throws {
            let port = TestEnvironment.freePort()
            let started = ContinuousClock.now
            let r = try await PetrelTool.run(["put", "-e", "tcp/127.0.0.1:\(port)", "k", "v", "--timeout", "1"])
            #expect(r.status != 0)
            #expect(r.err.joined().contains("no router reachable"), "stderr: \(r.err)")
            #expect(ContinuousClock.now - started < .seconds(5))
            let bad = try await PetrelTool.run(["put", "-e", "tcp/127.0.0.1", "k", "v"])
            #expect(bad.status != 0)
            #expect(bad.err.joined().contains("missing ':PORT'"), "stderr: \(bad.err)")
        }

        @Test("petrel info shows its ZID and the router's")
        func info() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let r = try await PetrelTool.run(["info", "-e", router.tcp])
            #expect(r.status == 0)
            #expect(r.out.contains { $0.hasPrefix("zid: ") })
            #expect(r.out.contains { $0.contains(router.zid) })
        }
    }
}

