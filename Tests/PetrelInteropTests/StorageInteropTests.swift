import Foundation
import PetrelSession
import PetrelTime
import Testing

extension InteropTests {
    /// The agent's hot-era storage as Zenoh clients see it.
    @Suite("agent storages against a real Zenoh router", .serialized)
    struct StorageInteropTests {
        func startAgent(_ router: ZenohRouter, config: String) async throws -> (TestProcess, String) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-store-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let file = dir + "/agent.json5"
            try config.write(toFile: file, atomically: true, encoding: .utf8)
            let agent = try TestProcess("petrel agent", executable: TestEnvironment.petrel,
                                        arguments: ["agent", "-c", file, "-e", router.tcp], environment: ["PETREL_DATA_DIR": dir])
            return (agent, dir)
        }

        /// Waits until the agent's admin space answers (its declarations are in place).
        func waitForAgent(_ session: Session) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if try await !session.getAll("@/*/petrel/status", timeout: .seconds(1)).isEmpty { return }
            }
            Issue.record("the agent never answered on its admin space")
        }

        @Test("get with _time ranges on a time-series storage returns exactly the samples in range")
        func timeRanges() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let (agent, _) = try await startAgent(router, config: """
                { storages: [ { key: "ts/**", mode: "time-series", hot: "10m" } ], heartbeat: { interval: "0s" } }
                """)
            defer { agent.kill() }
            let session = try await openSession(router.tcp)
            try await waitForAgent(session)
            // Python puts 20 readings; the router stamps them; a Python subscriber notes each stamp.
            let sub = try await PythonZenoh.startReady(router, ["sub", "ts/**", "--count", "20", "--timeout", "20"])
            defer { sub.kill() }
            for i in 0..<20 {
                _ = try await PythonZenoh.run(router, ["put", "ts/room1/temp", "\(i)"])
            }
            let seen = await sub.waitForLines(20, where: { $0.contains("\"key\"") }).compactMap(jsonObject)
            #expect(seen.count == 20)
            let stamps = seen.compactMap { ($0["timestamp"] as? String).flatMap { Timestamp($0) } }
            #expect(stamps.count == 20)

            func range(_ text: String) async throws -> [String] {
                try await PythonZenoh.run(router, ["get", "ts/**?_time=\(text)", "--consolidation", "none", "--timeout", "3"])
                    .compactMap(jsonObject).compactMap { $0["payload"] as? String }.sorted { Int($0)! < Int($1)! }
            }
            // The agent's storage got the 20 readings through the router too.
            #expect(await eventually { (try? await range("[now(-5m)..]"))?.count == 20 })
            let t5 = stamps[5].time.rfc3339, t14 = stamps[14].time.rfc3339
            #expect(try await range("[\(t5)..\(t14)]") == (5...14).map(String.init))
            #expect(try await range("]\(t5)..\(t14)[") == (6...13).map(String.init))
            #expect(try await range("[..\(t14)]") == (0...14).map(String.init))
            #expect(try await range("[\(t14)..]") == (14...19).map(String.init))
            #expect(try await range("[now(-5m)..]") == (0...19).map(String.init))
            #expect(try await range("[now(-10m)..now(-5m)]") == [])
            // Without a time range, Zenoh's default consolidation (latest) asks for the newest value per key.
            let latest = try await PythonZenoh.run(router, ["get", "ts/**", "--timeout", "3"]).compactMap(jsonObject)
            #expect(latest.compactMap { $0["payload"] as? String }.contains("19"))
        }

        @Test("a key-value storage answers get with the latest value per key, and survives an agent restart")
        func keyValueAndRestart() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let config = "{ storages: [ { key: \"kv/**\", mode: \"key-value\" } ], heartbeat: { interval: \"0s\" } }"
            let (agent, dir) = try await startAgent(router, config: config)
            let session = try await openSession(router.tcp)
            try await waitForAgent(session)
            for (k, v) in [("kv/a", "1"), ("kv/b", "1"), ("kv/a", "2")] {
                _ = try await PythonZenoh.run(router, ["put", k, v])
            }
            _ = try await PythonZenoh.run(router, ["put", "kv/b", "x", "--delete"])
            func snapshot() async throws -> [String] {
                try await PythonZenoh.run(router, ["get", "kv/**", "--timeout", "3"]).compactMap(jsonObject)
                    .map { "\($0["key"] as? String ?? "?")=\($0["payload"] as? String ?? "?")" }.sorted()
            }
            var seenNow: [String] = []
            _ = await eventually { seenNow = (try? await snapshot()) ?? []; return seenNow == ["kv/a=2"] }
            #expect(seenNow == ["kv/a=2"])
            agent.terminate()
            _ = await agent.waitForExit(timeout: .seconds(10))
            // Restarted on the same data directory: rebuilt from disk.
            let again = try TestProcess("petrel agent", executable: TestEnvironment.petrel,
                                        arguments: ["agent", "-c", dir + "/agent.json5", "-e", router.tcp],
                                        environment: ["PETREL_DATA_DIR": dir])
            defer { again.kill() }
            try await waitForAgent(session)
            _ = await eventually { seenNow = (try? await snapshot()) ?? []; return seenNow == ["kv/a=2"] }
            #expect(seenNow == ["kv/a=2"], "rebuilt from disk")
            await session.close()
        }
    }
}
