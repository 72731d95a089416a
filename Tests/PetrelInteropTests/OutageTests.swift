import Foundation
import Testing

extension InteropTests {
    /// Nothing a sensor produced is lost across an uplink outage, a restart,
    /// or a power cut: the offline buffer and its replay, end to end.
    @Suite("outages: the offline buffer against a real Zenoh router", .serialized)
    struct OutageTests {
        /// A receiver at the router: Zenoh's Python API, printing every sample.
        func receiver(_ router: ZenohRouter) async throws -> TestProcess {
            try await PythonZenoh.startReady(router, ["sub", "out/**", "--timeout", "120"])
        }

        /// (payload, timestamp) of every sample the receivers saw.
        func received(_ receivers: [TestProcess]) -> [(String, String)] {
            receivers.flatMap { $0.output.compactMap(jsonObject) }.compactMap { o in
                guard let p = o["payload"] as? String, let t = o["timestamp"] as? String else { return nil }
                return (p, t)
            }
        }

        func agentConfig(_ dir: String, board: String, fsync: String) throws -> String {
            let file = dir + "/agent.json5"
            try """
                {
                  serial: [ { port: "\(board)", format: "lines", key: "out/sensor" } ],
                  buffer: { fsync: "\(fsync)" },
                  heartbeat: { interval: "0s" },
                }
                """.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }

        func startAgent(_ config: String, _ router: ZenohRouter, _ dir: String) throws -> TestProcess {
            try TestProcess("petrel agent", executable: TestEnvironment.petrel, arguments: ["agent", "-c", config, "-e", router.tcp],
                            environment: ["PETREL_DATA_DIR": dir])
        }

        /// Checks that every line 0..<count arrived with exactly one timestamp.
        func checkComplete(_ got: [(String, String)], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            var stampsByLine: [String: Set<String>] = [:]
            for (p, t) in got { stampsByLine[p, default: []].insert(t) }
            let expected = Set((0..<count).map { "line \($0) of the test" })
            let missing = expected.subtracting(stampsByLine.keys)
            #expect(missing.isEmpty, "\(missing.count) readings never arrived, e.g. \(missing.sorted().prefix(3))", sourceLocation: sourceLocation)
            let restamped = stampsByLine.filter { $0.value.count > 1 }
            #expect(restamped.isEmpty, "\(restamped.count) readings arrived with two different timestamps", sourceLocation: sourceLocation)
        }

        @Test("20,000 readings; the router is stopped for the middle half: every reading arrives with the time it was taken")
        func routerOutage() async throws {
            let router = try await ZenohRouter.start()
            let port = router.port
            let dir = PtyPair.makeDirectory()
            let pty = try await PtyPair(in: dir)
            let agent = try startAgent(try agentConfig(dir, board: pty.board, fsync: "every-100ms"), router, dir)
            defer { agent.kill() }
            let first = try await receiver(router)
            defer { first.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open"))
            #expect(await SerialAgent.waitForLog(agent, "session open"))

            let count = 20_000
            let started = Date()
            let sensor = try SerialSensorScript.start(["write", pty.sensor, "--format", "lines", "--count", "\(count)", "--rate", "2000"])
            await quietPeriod(.milliseconds(2500))               // a quarter of the readings go live
            await router.kill()                                   // the uplink goes away mid-stream
            await quietPeriod(.seconds(5))                        // half of them are taken during the outage
            let restarted = try await ZenohRouter.start(port: port)
            defer { restarted.process.kill() }
            let restartedAt = Date()
            let second = try await receiver(restarted)           // a receiver that is surely subscribed after the restart
            defer { second.kill() }
            #expect(await sensor.waitForExit(timeout: .seconds(30)) == 0)

            // Wait for the replay to complete.
            let deadline = ContinuousClock.now + .seconds(60)
            while Set(received([first, second]).map(\.0)).count < count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let got = received([first, second])
            checkComplete(got, count: count)
            // Readings taken during the outage carry their original time, before the restart.
            let outageStamps = got.filter { $0.0 == "line 8000 of the test" }.compactMap { Double($0.1.split(separator: "/")[0]) }
            if let ntp = outageStamps.first {
                let secondsSince1970 = ntp / 4_294_967_296
                #expect(secondsSince1970 < restartedAt.timeIntervalSince1970, "a reading from the outage was stamped after the restart")
                #expect(secondsSince1970 > started.timeIntervalSince1970 - 1)
            }
            #expect(agent.isRunning)
            // The replay rate to the router, as the agent logged it (for the README).
            for line in agent.errorOutput where line.contains("offline buffer replayed") { print("outage test: \(line)") }
        }

        @Test("killed with SIGKILL during the outage and restarted before the router returns: nothing acknowledged is lost",
              arguments: [("every-record", 0), ("every-100ms", 40)])
        func powerCut(fsync: String, allowedLoss: Int) async throws {
            // SIGKILL keeps the kernel's page cache, so a killed agent loses
            // nothing under either policy; what the policy bounds is a real power
            // cut (PetrelStorageTests simulates that at the file level). The
            // bound asserted here is the policy's: 100 ms of readings at 400/s.
            let router = try await ZenohRouter.start()
            let port = router.port
            let dir = PtyPair.makeDirectory()
            let pty = try await PtyPair(in: dir)
            let config = try agentConfig(dir, board: pty.board, fsync: fsync)
            let agent = try startAgent(config, router, dir)
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open"))
            #expect(await SerialAgent.waitForLog(agent, "session open"))
            await router.kill()
            #expect(await SerialAgent.waitForLog(agent, "link down"))
            // A rate an fsync per record sustains on a busy SD card (or CI disk).
            let count = 2000
            let sensor = try SerialSensorScript.start(["write", pty.sensor, "--format", "lines", "--count", "\(count)", "--rate", "400"])
            #expect(await sensor.waitForExit(timeout: .seconds(30)) == 0)
            await quietPeriod(.seconds(3))                       // the policy's fsyncs run for a while before the cut
            agent.kill()                                         // the power cut: no chance to flush or close
            _ = await agent.waitForExit(timeout: .seconds(5))
            let again = try startAgent(config, router, dir)       // back before the router
            defer { again.kill() }
            #expect(await SerialAgent.waitForLog(again, "serial port open"))
            let restarted = try await ZenohRouter.start(port: port)
            defer { restarted.process.kill() }
            let rx = try await receiver(restarted)
            defer { rx.kill() }
            let deadline = ContinuousClock.now + .seconds(40)
            while Set(received([rx]).map(\.0)).count < count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let got = received([rx])
            let missing = count - Set(got.map(\.0)).count
            #expect(missing <= allowedLoss, "\(missing) readings lost with fsync \(fsync) (allowed \(allowedLoss))")
            if allowedLoss == 0 { checkComplete(got, count: count) }
        }
    }
}
