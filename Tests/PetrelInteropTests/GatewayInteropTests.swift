import Foundation
import PetrelSession
import PetrelTransport
import PetrelWire
import Testing

extension InteropTests {
    /// `petrel agent` as a gateway: devices open Zenoh sessions with the agent
    /// (listen endpoints) while the agent is a client of the real router.
    @Suite("the agent as a gateway for local devices, upstream of a real Zenoh router", .serialized)
    struct GatewayInteropTests {
        /// A running gateway agent and the endpoints devices connect to.
        struct RunningGateway {
            let process: TestProcess
            let tcp: String
            let udp: String
            func endpoint(_ proto: String) -> String { proto == "udp" ? udp : tcp }
        }

        static func startGateway(_ router: ZenohRouter, extra: [String] = [],
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws -> RunningGateway {
            let port = TestEnvironment.freePort()
            let tcp = "tcp/127.0.0.1:\(port)"
            let udp = "udp/127.0.0.1:\(port)"
            try TestEnvironment.requirePetrel()
            // A data directory of its own: no backlog from another test.
            let agent = try TestProcess("petrel agent (gateway)", executable: TestEnvironment.petrel,
                                        arguments: ["agent", "-e", router.tcp, "-l", tcp, "-l", udp] + extra,
                                        environment: ["PETREL_DATA_DIR": AgentInteropTests.dataDir()])
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let log = agent.errorOutput
                let up = log.contains { $0.contains("session open") && $0.contains(router.tcp) }
                if up && log.filter({ $0.contains("listening") }).count >= 2 { return RunningGateway(process: agent, tcp: tcp, udp: udp) }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the gateway did not come up: \(agent.errorOutput.suffix(8))", sourceLocation: sourceLocation)
            agent.kill()
            throw ZenohRouter.RouterFailed()
        }

        /// Zenoh's Python API as a device of the gateway.
        static func pythonDevice(_ endpoint: String, _ args: [String]) throws -> TestProcess {
            try TestEnvironment.requirePython()
            return try TestProcess("python device \(args.first ?? "")", executable: TestEnvironment.python,
                                   arguments: [TestEnvironment.script("zenoh_client.py"), "-e", endpoint] + args)
        }

        @Test("a Petrel device's puts, subscriber, queryable and get all cross the gateway", arguments: ["tcp", "udp"])
        func petrelDevice(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let device = try await openSession(gateway.endpoint(proto))
            defer { Task { await device.close() } }

            // Device → router: a Python subscriber at the router gets key, payload, encoding, attachment.
            let pySub = try await PythonZenoh.startReady(router, ["sub", "farm/dev1/**", "--count", "1", "--timeout", "20"])
            defer { pySub.kill() }
            var options = PutOptions()
            options.encoding = .textPlain
            options.attachment = Array("unit=C".utf8)[...]
            try await device.put("farm/dev1/temp", "21.5", options: options)
            let got = try #require(await pySub.waitForLine(timeout: .seconds(10)) { $0.contains("farm/dev1/temp") }.flatMap(jsonObject),
                                   "the router never saw the device's put; gateway said: \(gateway.process.errorOutput.suffix(5))")
            #expect(got["payload"] as? String == "21.5")
            #expect(got["encoding"] as? String == "text/plain")
            #expect(got["attachment"] as? String == "unit=C")
            #expect(got["timestamp"] as? String != nil, "the gateway stamps readings that come without a timestamp")

            // Router → device: a wildcard subscriber on the device gets Python's put.
            let received = Collector<Sample>()
            let sub = try await device.declareSubscriber("cmd/dev1/*") { received.add($0) }
            try await RouterView.waitFor(router, { await $0.subscriber("cmd/dev1/fan") }, "the device's subscriber")
            _ = try await PythonZenoh.run(router, ["put", "cmd/dev1/fan", "on"])
            let samples = await received.wait(for: 1, timeout: .seconds(10))
            #expect(samples.first?.key == "cmd/dev1/fan")
            #expect(samples.first.map { String(decoding: $0.payload, as: UTF8.self) } == "on")
            sub.undeclare()

            // Python's get at the router is answered by the device's queryable.
            let q = try await device.declareQueryable("farm/dev1/config/**") { query in
                query.reply("farm/dev1/config/rate", "10")
                query.reply("farm/dev1/config/unit", "C")
            }
            try await RouterView.waitFor(router, { await $0.queryable("farm/dev1/config/**") }, "the device's queryable")
            let replies = try await PythonZenoh.run(router, ["get", "farm/dev1/config/**", "--timeout", "5"]).compactMap(jsonObject)
            #expect(Set(replies.compactMap { $0["key"] as? String }) == ["farm/dev1/config/rate", "farm/dev1/config/unit"])
            q.undeclare()

            // The device's get reaches a Python queryable at the router.
            let pyQ = try await PythonZenoh.startReady(router, ["queryable", "site/info/**", "--reply", "site/info/name=north-field"])
            defer { pyQ.kill() }
            let answers = try await device.getAll("site/info/**", timeout: .seconds(5))
            #expect(answers.compactMap(\.sample).map { "\($0.key)=\(String(decoding: $0.payload, as: UTF8.self))" } == ["site/info/name=north-field"])
        }

        @Test("a Python (Rust zenoh) client is a device of the gateway: its handshake, puts, subscriber and get work", arguments: ["tcp", "udp"])
        func zenohClientDevice(proto: String) async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }

            let atRouter = try await PythonZenoh.startReady(router, ["sub", "pico/**", "--count", "3", "--timeout", "20"])
            defer { atRouter.kill() }
            let put = try Self.pythonDevice(gateway.endpoint(proto), ["put", "pico/count", "x", "--count", "3"])
            _ = await put.waitForExit(timeout: .seconds(20))
            let lines = await atRouter.waitForLines(3, timeout: .seconds(10)) { $0.contains("pico/count") }
            #expect(lines.count == 3, "router got \(lines); device said \(put.errorOutput.suffix(5)); gateway said \(gateway.process.errorOutput.suffix(5))")

            let deviceSub = try Self.pythonDevice(gateway.endpoint(proto), ["sub", "down/**", "--count", "1", "--timeout", "20"])
            defer { deviceSub.kill() }
            #expect(await deviceSub.waitForLine { $0.contains("\"ready\"") } != nil)
            try await RouterView.waitFor(router, { await $0.subscriber("down/x") }, "the device's subscriber")
            _ = try await PythonZenoh.run(router, ["put", "down/x", "hello-device"])
            let line = await deviceSub.waitForLine(timeout: .seconds(10)) { $0.contains("down/x") }
            #expect(line?.contains("hello-device") == true, "device got nothing; gateway said \(gateway.process.errorOutput.suffix(5))")

            let pyQ = try await PythonZenoh.startReady(router, ["queryable", "up/q/**", "--reply", "up/q/a=A", "--reply", "up/q/b=B"])
            defer { pyQ.kill() }
            let get = try Self.pythonDevice(gateway.endpoint(proto), ["get", "up/q/**", "--timeout", "5"])
            _ = await get.waitForExit(timeout: .seconds(20))
            #expect(Set(get.output.compactMap(jsonObject).compactMap { $0["key"] as? String }) == ["up/q/a", "up/q/b"])
        }

        @Test("two devices on one gateway hear each other once, and a device does not get its own publications back")
        func devicesHearEachOther() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let a = try await openSession(gateway.tcp)
            let b = try await openSession(gateway.udp)
            defer { Task { await a.close(); await b.close() } }
            let atA = Collector<String>()
            let atB = Collector<String>()
            let s3 = try await a.declareSubscriber("room/**") { atA.add($0.key) }
            // Overlapping subscribers on B: a router sends each sample to a session once.
            let s1 = try await b.declareSubscriber("room/**") { atB.add("s1 " + $0.key) }
            let s2 = try await b.declareSubscriber("room/*/temp") { atB.add("s2 " + $0.key) }
            // The gateway carries devices' declarations upstream in order: once the
            // router knows the last one, the gateway holds all three.
            try await RouterView.waitFor(router, { await $0.subscriber("room/*/temp") }, "B's second subscriber")
            try await a.put("room/kitchen/temp", "20")
            let gotB = await atB.wait(for: 2, timeout: .seconds(5))
            #expect(gotB.sorted() == ["s1 room/kitchen/temp", "s2 room/kitchen/temp"],
                    "each of B's subscribers sees the sample once (B's session fans out locally)")
            await quietPeriod(.milliseconds(300))
            #expect(atA.values == ["room/kitchen/temp"], "A sees its own put once, from its own session, not echoed by the gateway")
            // And B's answer to a query from A, without the router.
            let q = try await b.declareQueryable("room/kitchen/**") { $0.reply("room/kitchen/temp", "20") }
            try await RouterView.waitFor(router, { await $0.queryable("room/kitchen/**") }, "B's queryable")
            let replies = try await a.getAll("room/kitchen/**", timeout: .seconds(5))
            #expect(replies.compactMap(\.sample?.key) == ["room/kitchen/temp"])
            _ = (s1, s2, s3, q)
        }

        @Test("a device's liveliness token is seen at the router and leaves with the device; the device sees the router's tokens")
        func liveliness() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let device = try await openSession(gateway.tcp)
            _ = try await device.declareToken("devices/pump-7")
            let changes = Collector<String>()
            _ = try await device.declareLivelinessSubscriber("operators/**") { changes.add("\($0.kind) \($0.key)") }
            try await RouterView.waitFor(router, { await $0.tokens("devices/**", are: ["devices/pump-7"]) }, "the device's token")
            let alive = try await PythonZenoh.run(router, ["liveliness-get", "devices/**", "--timeout", "3"]).compactMap(jsonObject)
            #expect(alive.compactMap { $0["key"] as? String } == ["devices/pump-7"])

            let token = try await PythonZenoh.startReady(router, ["liveliness-token", "operators/alice", "--timeout", "20"])
            #expect(await changes.wait(for: 1, timeout: .seconds(10)) == ["put operators/alice"])
            token.kill()
            #expect(await changes.wait(for: 2, timeout: .seconds(15)).last == "delete operators/alice")

            await device.close()
            try await RouterView.waitFor(router, { await $0.tokens("devices/**", are: []) }, "the token's departure")
            let after = try await PythonZenoh.run(router, ["liveliness-get", "devices/**", "--timeout", "3"]).compactMap(jsonObject)
            #expect(after.isEmpty, "the token left with the device: \(after)")
        }

        @Test("a device's get reaches the agent's own queryables (its admin space), which the router would not route back")
        func deviceQueriesTheAgent() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let device = try await openSession(gateway.tcp)
            defer { Task { await device.close() } }
            let replies = try await device.getAll("@/**/petrel/version", timeout: .seconds(5))
            let sample = try #require(replies.first?.sample, "no answer from the agent: \(replies)")
            #expect(sample.key.hasSuffix("/petrel/version"))
            #expect(String(decoding: sample.payload, as: UTF8.self).contains("\"zenohProtocol\":9"))
            #expect(replies.count == 1)
        }

        @Test("the admin space lists the upstream session and each device's session")
        func adminSpaceListsDevices() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let device = try await openSession(gateway.udp)
            defer { Task { await device.close() } }
            _ = try await device.declareSubscriber("x/**") { _ in }
            try await device.put("x/y", "1")
            try await RouterView.waitFor(router, { await $0.subscriber("x/y") }, "the device's subscriber")
            let replies = try await PythonZenoh.run(router, ["get", "@/**/petrel/sessions", "--timeout", "3"]).compactMap(jsonObject)
            let payload = try #require(replies.first?["payload"] as? String)
            let sessions = try #require((try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [[String: Any]])
            #expect(sessions.first { $0["role"] as? String == "upstream" }?["peer"] as? String == router.zid)
            let dev = try #require(sessions.first { $0["role"] as? String == "device" }, "\(sessions)")
            #expect(dev["peer"] as? String == device.zid.description)
            #expect(dev["subscribers"] as? Int == 1)
            #expect(dev["samplesIn"] as? Int == 1)
            #expect((dev["link"] as? String)?.hasPrefix("udp/127.0.0.1:") == true)
        }

        @Test("a device's readings while the router is down wait in the agent's offline buffer and arrive after it returns")
        func deviceReadingsSurviveAnOutage() async throws {
            let router = try await ZenohRouter.start()
            let gateway = try await Self.startGateway(router)
            defer { gateway.process.kill() }
            let device = try await openSession(gateway.tcp)
            defer { Task { await device.close() } }
            await router.kill()
            let deadline = ContinuousClock.now + .seconds(15)
            while !gateway.process.errorOutput.contains(where: { $0.contains("link down") }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            for i in 0..<20 { try await device.put("outage/reading", "\(i)") }
            let back = try await ZenohRouter.start(port: router.port)
            defer { back.process.kill() }
            let sub = try await PythonZenoh.startReady(back, ["sub", "outage/**", "--count", "20", "--timeout", "30"])
            defer { sub.kill() }
            let lines = await sub.waitForLines(20, timeout: .seconds(25)) { $0.contains("outage/reading") }
            let values = lines.compactMap(jsonObject).compactMap { $0["payload"] as? String }
            #expect(values == (0..<20).map { "\($0)" }, "gateway said: \(gateway.process.errorOutput.suffix(6))")
        }
    }
}
