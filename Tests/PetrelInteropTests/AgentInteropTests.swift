import Foundation
import Logging
import PetrelSession
import PetrelTransport
import Testing

extension InteropTests {
    /// `petrel agent` as a board runs it, against a real Zenoh router.
    @Suite("petrel agent against a real Zenoh router", .serialized)
    struct AgentInteropTests {
        static func dataDir() -> String {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-agent-\(UUID().uuidString)").path
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }

        @Test("the README's run command on the default config: a sample reaches a Python subscriber at the local router")
        func readmeRunCommand() async throws {
            try TestEnvironment.requirePetrel()
            // The default config connects to tcp/127.0.0.1:7447: the run script starts a router there.
            let run = try TestProcess("scripts/run", executable: "/bin/bash", arguments: [TestEnvironment.script("run")],
                                      environment: ["PETREL_BIN": TestEnvironment.petrel, "PETREL_DATA_DIR": Self.dataDir()])
            defer { run.terminate() }
            #expect(await run.waitForLine(timeout: .seconds(90)) { $0.contains("petrel agent") } != nil, "\(run.errorOutput.suffix(10))")
            let router = "tcp/127.0.0.1:7447"
            let sub = try TestProcess("python sub", executable: TestEnvironment.python,
                                      arguments: [TestEnvironment.script("zenoh_client.py"), "-e", router, "sub", "petrel/**",
                                                  "--count", "1", "--timeout", "40"])
            defer { sub.kill() }
            let line = await sub.waitForLine(timeout: .seconds(40)) { $0.contains("heartbeat") }
            let sample = try #require(line.flatMap(jsonObject), "no heartbeat reached the router; agent said: \(run.errorOutput.suffix(10))")
            #expect((sample["key"] as? String)?.hasSuffix("/heartbeat") == true)
            #expect(sample["encoding"] as? String == "application/json")
            run.terminate()
            #expect(await run.waitForExit(timeout: .seconds(15)) != nil, "scripts/run did not stop on SIGTERM")
        }

        @Test("the admin space answers @/**/petrel/** with JSON whose counters match what the test did")
        func adminSpace() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try PetrelTool.start(["agent", "-e", router.tcp])
            defer { agent.kill() }
            let session = try await openSession(router.tcp)
            // Wait for the agent's admin space, then query it three times.
            var status: [String: Any]?
            let deadline = ContinuousClock.now + .seconds(20)
            while status == nil && ContinuousClock.now < deadline {
                for await r in try await session.get("@/**/petrel/status", timeout: .seconds(2)) {
                    if let s = r.sample { status = jsonObject(String(decoding: s.payload, as: UTF8.self)) }
                }
            }
            let first = try #require(status, "the agent's admin space never answered: \(agent.errorOutput.suffix(5))")
            let zid = try #require(first["zid"] as? String)
            for _ in 0..<3 { _ = try await session.getAll("@/\(zid)/petrel/counters", timeout: .seconds(2)) }
            let all = try await PythonZenoh.run(router, ["get", "@/**/petrel/**", "--timeout", "3"]).compactMap(jsonObject)
            let keys = Set(all.compactMap { $0["key"] as? String })
            #expect(keys == ["@/\(zid)/petrel/status", "@/\(zid)/petrel/links", "@/\(zid)/petrel/sessions", "@/\(zid)/petrel/counters", "@/\(zid)/petrel/version"])
            let statusReply = try #require(all.first { ($0["key"] as? String)?.hasSuffix("/status") == true })
            let json = try #require(jsonObject(statusReply["payload"] as? String ?? ""))
            let counters = try #require(json["counters"] as? [String: Any])
            // The polls until it answered, three counters queries, and this one.
            #expect((counters["queriesIn"] as? Int ?? 0) >= 5)
            let links = try #require(json["links"] as? [[String: Any]])
            #expect(links.first?["state"] as? String == "up")
            #expect(links.first?["peer"] as? String == router.zid)
            #expect((json["version"] as? [String: Any])?["zenohProtocol"] as? Int == 9)

            // `petrel info` shows the same for the running agent.
            let info = try await PetrelTool.run(["info", "-e", router.tcp, "--timeout", "3"])
            #expect(info.status == 0)
            #expect(info.out.contains("agents: 1"), "\(info.out)")
            #expect(info.out.contains { $0.contains("\"zid\":\"\(zid)\"") })
            await session.close()
        }

        @Test("SIGTERM closes the session with Close (peers see the agent leave at once) and exits 0")
        func gracefulStop() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let watcher = try await openSession(router.tcp)
            let events = Collector<String>()
            _ = try await watcher.declareLivelinessSubscriber("petrel/agents/**") { events.add("\($0.kind)") }
            let agent = try PetrelTool.start(["agent", "-e", router.tcp])
            defer { agent.kill() }
            #expect(await events.wait(for: 1, timeout: .seconds(20)) == ["put"])
            agent.terminate()
            let stoppedAt = ContinuousClock.now
            #expect(await agent.waitForExit(timeout: .seconds(5)) == 0)
            // Without a Close the router would wait a whole lease (10 s) before dropping the token.
            #expect(await events.wait(for: 2, timeout: .seconds(5)) == ["put", "delete"])
            #expect(ContinuousClock.now - stoppedAt < .seconds(5))
            await watcher.close()
        }

        @Test("--check-config names the key path of a mistake and exits non-zero")
        func checkConfig() async throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json5").path
            try "{ mode: 'client', connect: { endpoints: ['tcp/127.0.0.1'] } }".write(toFile: file, atomically: true, encoding: .utf8)
            let r = try await PetrelTool.run(["agent", "--check-config", file])
            #expect(r.status != 0)
            #expect(r.err.joined(separator: "\n").contains("connect.endpoints[0]"), "stderr: \(r.err)")
            let good = FileManager.default.temporaryDirectory.appendingPathComponent("good-\(UUID().uuidString).json5").path
            try "{ mode: 'client', connect: { endpoints: ['tcp/127.0.0.1:7447'] } }".write(toFile: good, atomically: true, encoding: .utf8)
            let ok = try await PetrelTool.run(["agent", "--check-config", good])
            #expect(ok.status == 0, "stderr: \(ok.err)")
        }
    }
}
