import Foundation
import Logging
import PetrelKeyExpr
import PetrelSerial
import PetrelSession
import PetrelTestSupport
import Testing

extension InteropTests {
    /// The serial sensor bridge: socat pty pairs stand in for serial cables,
    /// `petrel agent` (or the bridge in-process) reads the board side, the
    /// test plays the sensor (scripts/serial_sensor.py), and Zenoh's Python
    /// API counts what reaches a real Zenoh 1.10.2 router.
    @Suite("serial sensor bridge: ptys, a real Zenoh router, Zenoh's Python API", .serialized)
    struct SerialSensorTests {
        /// Per-key entries of a collector summary.
        private static func keys(_ summary: [String: Any]) -> [String: [String: Any]] {
            (summary["keys"] as? [String: [String: Any]]) ?? [:]
        }

        /// Checks that `key` got every reading of lines first..<first+count: one
        /// sample per line, each stamped, in timestamp order, with `encoding`.
        private static func expectEveryLine(_ keys: [String: [String: Any]], _ key: String, count: Int, first: Int = 0,
                                            encoding: String, sequence: Bool = true,
                                            sourceLocation: SourceLocation = #_sourceLocation) {
            guard let k = keys[key] else {
                Issue.record("nothing arrived on \(key); keys: \(keys.keys.sorted())", sourceLocation: sourceLocation)
                return
            }
            #expect(k["count"] as? Int == count, "\(key): \(k)", sourceLocation: sourceLocation)
            #expect(k["timestamped"] as? Int == count, "\(key): every reading carries the bridge's timestamp", sourceLocation: sourceLocation)
            #expect(k["backwards"] as? Int == 0, "\(key): timestamps never go backwards", sourceLocation: sourceLocation)
            #expect(k["encodings"] as? [String] == [encoding], "\(key): \(k)", sourceLocation: sourceLocation)
            if sequence {
                let ints = k["ints"] as? [String: Any]
                #expect(ints?["min"] as? Int == first, "\(key): \(k)", sourceLocation: sourceLocation)
                #expect(ints?["max"] as? Int == first + count - 1, "\(key): \(k)", sourceLocation: sourceLocation)
                #expect(ints?["distinct"] as? Int == count, "\(key): \(k)", sourceLocation: sourceLocation)
                #expect(ints?["missing"] as? Int == 0, "\(key): \(k)", sourceLocation: sourceLocation)
            }
        }

        @Test("10,000 lines of each format (lines, key-value, json, csv) written into ptys: the Python subscriber at the router receives every reading on its key")
        func tenThousandLinesOfEachFormat() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let formats = ["lines", "key-value", "json", "csv"]
            var pairs: [String: PtyPair] = [:]
            for f in formats { pairs[f] = try await PtyPair(in: dir, suffix: "-\(f)") }
            let config = try SerialAgent.writeConfig(dir, router: router, serial: formats.map { f in
                "{ port: \"\(pairs[f]!.board)\", format: \"\(f)\", key: \"test/serial/\(f)\" }"
            })
            // 10,000 readings for lines, 3 per line for key-value and csv, 4 for json.
            let expected = 10_000 + 30_000 + 40_000 + 30_000
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: expected, timeout: 120)
            let agent = try SerialAgent.start(config: config)
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open", count: 4), "\(agent.errorOutput.suffix(10))")
            #expect(await SerialAgent.waitForLog(agent, "session open"), "\(agent.errorOutput.suffix(10))")

            // All four sensors talk at once, each at 2,000 lines/s in chunks of 20 lines.
            let writers = try formats.map { f in
                try SerialSensorScript.start(["write", pairs[f]!.sensor, "--format", f, "--count", "10000", "--rate", "2000"]
                                             + (f == "csv" ? ["--header"] : []))
            }
            for w in writers {
                #expect(await w.waitForExit(timeout: .seconds(90)) == 0, "\(w.errorOutput.suffix(5))")
            }
            let summary = try await collector.summary()
            let keys = Self.keys(summary)
            #expect(summary["count"] as? Int == expected, "\(keys.mapValues { $0["count"] ?? 0 })")
            #expect(Set(keys.keys) == [
                "test/serial/lines",
                "test/serial/key-value/seq", "test/serial/key-value/temp", "test/serial/key-value/hum",
                "test/serial/json/seq", "test/serial/json/temp", "test/serial/json/tag", "test/serial/json/ok",
                "test/serial/csv/seq", "test/serial/csv/temp", "test/serial/csv/hum",
            ])
            Self.expectEveryLine(keys, "test/serial/lines", count: 10_000, encoding: "text/plain")
            #expect(keys["test/serial/lines"]?["distinct"] as? Int == 10_000)
            #expect(keys["test/serial/lines"]?["first"] as? String == "line 0 of the test")
            for f in ["key-value", "csv"] {
                Self.expectEveryLine(keys, "test/serial/\(f)/seq", count: 10_000, encoding: "text/plain")
                Self.expectEveryLine(keys, "test/serial/\(f)/temp", count: 10_000, encoding: "text/plain", sequence: false)
                Self.expectEveryLine(keys, "test/serial/\(f)/hum", count: 10_000, encoding: "text/plain", sequence: false)
                #expect(keys["test/serial/\(f)/hum"]?["distinct"] as? Int == 100)
            }
            Self.expectEveryLine(keys, "test/serial/json/seq", count: 10_000, encoding: "application/json")
            for member in ["temp", "tag", "ok"] {
                Self.expectEveryLine(keys, "test/serial/json/\(member)", count: 10_000, encoding: "application/json", sequence: false)
            }
            // JSON values are published as JSON text.
            #expect(keys["test/serial/json/tag"]?["first"] as? String == "\"s0\"")
            #expect(keys["test/serial/json/ok"]?["first"] as? String == "true")

            #expect(agent.isRunning)
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
            // What each bridge says it did, on the way out: every line, no errors.
            let stopped = agent.errorOutput.filter { $0.contains("serial bridge stopped") }
            #expect(stopped.count == 4, "\(agent.errorOutput.suffix(10))")
            for line in stopped {
                #expect(line.contains("errors=0"), "\(line)")
                #expect(line.contains("lines=10000") || line.contains("lines=10001"), "\(line)")
            }
        }

        @Test("pulling the pty away (kill socat) and bringing it back: the agent logs both, stays up, and publishing resumes")
        func portLostAndBack() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try await PtyPair(in: dir)
            let config = try SerialAgent.writeConfig(dir, router: router, serial: [
                "{ port: \"\(pty.board)\", format: \"key-value\", key: \"test/serial/air\" }",
            ])
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: 3 * 1500, timeout: 90)
            let agent = try SerialAgent.start(config: config)
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open"), "\(agent.errorOutput.suffix(10))")
            #expect(await SerialAgent.waitForLog(agent, "session open"))
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "key-value", "--count", "500", "--rate", "1000"])

            // SIGTERM: socat removes its links, like udev when a USB adapter goes.
            await pty.kill()
            #expect(await SerialAgent.waitForLog(agent, "serial port lost: \(pty.board): "), "\(agent.errorOutput.suffix(10))")
            await quietPeriod(.seconds(2))
            #expect(agent.isRunning)
            try await pty.start()
            #expect(await SerialAgent.waitForLog(agent, "serial port back: \(pty.board)"), "\(agent.errorOutput.suffix(10))")
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "key-value", "--count", "500", "--first", "500", "--rate", "1000"])

            // SIGKILL: the links stay behind, dangling, until the next socat replaces them.
            await pty.kill(hard: true)
            #expect(await SerialAgent.waitForLog(agent, "serial port lost: \(pty.board): ", count: 2), "\(agent.errorOutput.suffix(10))")
            await quietPeriod(.seconds(1))
            try await pty.start()
            #expect(await SerialAgent.waitForLog(agent, "serial port back: \(pty.board)", count: 2), "\(agent.errorOutput.suffix(10))")
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "key-value", "--count", "500", "--first", "1000", "--rate", "1000"])

            let keys = Self.keys(try await collector.summary())
            Self.expectEveryLine(keys, "test/serial/air/seq", count: 1500, encoding: "text/plain")
            #expect(keys["test/serial/air/temp"]?["count"] as? Int == 1500)
            #expect(keys["test/serial/air/hum"]?["count"] as? Int == 1500)
            // One line per event, not one per retry.
            let log = agent.errorOutput
            #expect(log.filter { $0.contains("serial port lost") }.count == 2, "\(log.suffix(20))")
            #expect(log.filter { $0.contains("serial port back") }.count == 2, "\(log.suffix(20))")
            #expect(agent.isRunning)
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
            #expect(agent.errorOutput.contains { $0.contains("serial bridge stopped") && $0.contains("reconnects=2") && $0.contains("errors=0") },
                    "\(agent.errorOutput.suffix(5))")
        }

        @Test("a port missing when the agent starts: one warning, the agent runs on, and picks the port up when it appears")
        func portMissingAtStart() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = try SerialAgent.writeConfig(dir, router: router, serial: [
                "{ port: \"\(dir)/board\", key: \"test/serial/late\" }",
            ])
            let agent = try SerialAgent.start(config: config)
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port unavailable: \(dir)/board: open: No such file or directory"),
                    "\(agent.errorOutput.suffix(10))")
            await quietPeriod(.seconds(3))
            #expect(agent.isRunning)
            #expect(agent.errorOutput.filter { $0.contains("serial port") }.count == 1, "\(agent.errorOutput.suffix(10))")
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: 100, timeout: 60)
            let pty = try await PtyPair(in: dir)
            #expect(await SerialAgent.waitForLog(agent, "serial port open: \(pty.board)"), "\(agent.errorOutput.suffix(10))")
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "lines", "--count", "100", "--crlf"])
            let keys = Self.keys(try await collector.summary())
            Self.expectEveryLine(keys, "test/serial/late", count: 100, encoding: "text/plain")
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
        }

        @Test("writing back: a Zenoh put on the tx key comes out of the sensor side of the pty, one line per sample")
        func txWriteBack() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let first = try await PtyPair(in: dir, suffix: "1")
            let second = try await PtyPair(in: dir, suffix: "2")
            let config = try SerialAgent.writeConfig(dir, router: router, serial: [
                "{ port: \"\(first.board)\", key: \"test/serial/dev1\" }",
                "{ port: \"\(second.board)\", key: \"test/serial/dev2\", tx_key: \"test/commands/dev2\" }",
            ])
            let agent = try SerialAgent.start(config: config)
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open", count: 2), "\(agent.errorOutput.suffix(10))")
            #expect(await SerialAgent.waitForLog(agent, "session open"))
            let reader1 = try SerialSensorScript.start(["read", first.sensor, "--count", "3", "--timeout", "30"])
            let reader2 = try SerialSensorScript.start(["read", second.sensor, "--count", "1", "--timeout", "30"])
            defer { reader1.kill(); reader2.kill() }
            #expect(await reader1.waitForLine { $0.contains("ready") } != nil)
            #expect(await reader2.waitForLine { $0.contains("ready") } != nil)
            try await RouterView.waitFor(router, { await $0.subscriber("test/serial/dev1/tx") }, "the agent's tx subscription for dev1")
            try await RouterView.waitFor(router, { await $0.subscriber("test/commands/dev2") }, "the agent's tx subscription for dev2")
            for payload in ["LED on", "calibrate 21.5\n", "ünïcode ✓"] {
                _ = try await PythonZenoh.run(router, ["put", "test/serial/dev1/tx", payload])
            }
            _ = try await PythonZenoh.run(router, ["put", "test/commands/dev2", "reset"])
            // Not on the default tx key of dev2:
            _ = try await PythonZenoh.run(router, ["put", "test/serial/dev2/tx", "ignored"])
            #expect(await reader1.waitForExit(timeout: .seconds(30)) == 0)
            #expect(await reader2.waitForExit(timeout: .seconds(30)) == 0)
            #expect(reader1.output.compactMap { jsonObject($0)?["line"] as? String } == ["LED on", "calibrate 21.5", "ünïcode ✓"])
            #expect(reader2.output.compactMap { jsonObject($0)?["line"] as? String } == ["reset"])
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
            #expect(agent.errorOutput.contains { $0.contains("serial bridge stopped: \(first.board)") && $0.contains("tx=3") })
        }

        @Test("the libserialport path: ptys made to look like UARTs (scripts/pty_uart_shim.c) are opened, configured at 115200 and 921600 baud, read, written and re-opened through libserialport")
        func libserialportPath() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let shim = try Self.buildShim(in: dir)
            let slow = try await PtyPair(in: dir, suffix: "-115200")
            let fast = try await PtyPair(in: dir, suffix: "-921600")
            let config = try SerialAgent.writeConfig(dir, router: router, serial: [
                "{ port: \"\(slow.board)\", baudrate: 115200, format: \"json\", key: \"test/serial/slow\" }",
                "{ port: \"\(fast.board)\", baudrate: 921600, format: \"csv\", columns: [\"seq\", \"temp\", \"hum\"], key: \"test/serial/fast\" }",
            ])
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: 4 * 2000 + 3 * 2000, timeout: 90)
            let agent = try SerialAgent.start(config: config, environment: ["LD_PRELOAD": shim])
            defer { agent.kill() }
            #expect(await SerialAgent.waitForLog(agent, "serial port open", count: 2), "\(agent.errorOutput.suffix(10))")
            let opened = agent.errorOutput.filter { $0.contains("serial port open") }
            #expect(opened.allSatisfy { $0.contains("backend=libserialport") }, "\(opened)")
            #expect(!agent.errorOutput.contains { $0.contains("termios") }, "\(agent.errorOutput.suffix(10))")
            #expect(await SerialAgent.waitForLog(agent, "session open"))
            try await SerialSensorScript.run(["write", slow.sensor, "--format", "json", "--count", "1000"])
            try await SerialSensorScript.run(["write", fast.sensor, "--format", "csv", "--count", "1000"])
            await fast.kill()
            #expect(await SerialAgent.waitForLog(agent, "serial port lost: \(fast.board)"), "\(agent.errorOutput.suffix(10))")
            try await fast.start()
            #expect(await SerialAgent.waitForLog(agent, "serial port back: \(fast.board)"), "\(agent.errorOutput.suffix(10))")
            try await SerialSensorScript.run(["write", slow.sensor, "--format", "json", "--count", "1000", "--first", "1000"])
            try await SerialSensorScript.run(["write", fast.sensor, "--format", "csv", "--count", "1000", "--first", "1000"])
            // And back to the device, through sp_nonblocking_write.
            let reader = try SerialSensorScript.start(["read", fast.sensor, "--count", "1", "--timeout", "20"])
            defer { reader.kill() }
            #expect(await reader.waitForLine { $0.contains("ready") } != nil)
            _ = try await PythonZenoh.run(router, ["put", "test/serial/fast/tx", "ping"])
            #expect(await reader.waitForExit(timeout: .seconds(20)) == 0)
            #expect(reader.output.compactMap { jsonObject($0)?["line"] as? String } == ["ping"])

            let keys = Self.keys(try await collector.summary())
            Self.expectEveryLine(keys, "test/serial/slow/seq", count: 2000, encoding: "application/json")
            Self.expectEveryLine(keys, "test/serial/fast/seq", count: 2000, encoding: "text/plain")
            #expect(agent.isRunning)
            agent.terminate()
            #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
        }

        /// Compiles the test-only shim with the C compiler Swift ships (or cc).
        static func buildShim(in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let output = "\(dir)/libpty_uart_shim.so"
            let candidates = ["/opt/swift/usr/bin/clang", "/usr/bin/cc", "/usr/bin/clang", "/usr/bin/gcc"]
            guard let compiler = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                Issue.record("no C compiler found (\(candidates)) to build scripts/pty_uart_shim.c", sourceLocation: sourceLocation)
                throw TestEnvironment.MissingDependency()
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: compiler)
            p.arguments = ["-shared", "-fPIC", "-O1", "-o", output, TestEnvironment.script("pty_uart_shim.c"), "-ldl"]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                Issue.record("\(compiler) could not build scripts/pty_uart_shim.c", sourceLocation: sourceLocation)
                throw TestEnvironment.MissingDependency()
            }
            return output
        }

        @Test("a full publish queue makes the bridge stop reading (the pty's writer waits) instead of dropping; tx while the port is away is dropped and counted")
        func backpressureAndTxWhileAway() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try await PtyPair(in: dir)
            let session = try await openSession(router.tcp)
            var settings = SerialBridgeSettings(port: pty.board, key: try KeyExpr("test/serial/burst"), format: .keyValue)
            settings.maxQueuedReadings = 4
            let bridge = try SerialSensorBridge(settings: settings, session: session, logger: Logger(label: "serial"))
            try await bridge.start()
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: 3 * 5000, timeout: 90)
            let deadline = ContinuousClock.now + .seconds(10)
            while !bridge.snapshot().isOpen && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // As fast as the pty takes them (--rate 0), 100 lines per write.
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "key-value", "--count", "5000", "--rate", "0", "--chunk", "100"])
            let keys = Self.keys(try await collector.summary())
            Self.expectEveryLine(keys, "test/serial/burst/seq", count: 5000, encoding: "text/plain")
            var s = bridge.snapshot()
            #expect(s.samples == 15_000 && s.queued == 0 && s.errors == 0, "\(s)")

            await pty.kill()
            while bridge.snapshot().isOpen && ContinuousClock.now < deadline + .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
            try await session.put("test/serial/burst/tx", "nobody listens")
            _ = await eventually(timeout: .seconds(5)) { bridge.snapshot().txDropped >= 1 }
            s = bridge.snapshot()
            #expect(s.txDropped == 1 && s.txMessages == 0 && s.losses == 1, "\(s)")
            // The hang-up, then the failed attempts to reopen it.
            #expect(s.lastError?.hasPrefix(pty.board) == true, "\(s)")
            await bridge.stop()
            await session.close()
        }

        @Test("corrupted input (random bytes, overlong lines, bad names) is counted, never published as garbage keys")
        func corruptedInput() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let dir = PtyPair.makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try await PtyPair(in: dir)
            let session = try await openSession(router.tcp)
            let logs = LogLines()
            let logger = logs.logger("serial")
            let bridge = try SerialSensorBridge(settings: SerialBridgeSettings(port: pty.board, key: try KeyExpr("test/serial/noisy"), format: .keyValue),
                                            session: session, logger: logger)
            try await bridge.start()
            let collector = try await SerialSensorScript.collect(router, "test/serial/**", expect: 301, timeout: 60, idle: 5)
            let deadline = ContinuousClock.now + .seconds(10)
            while !bridge.snapshot().isOpen && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(bridge.snapshot().isOpen)

            // 1,000 lines of 60 random bytes in 0x80-0xFF, then 10 lines of 10,002 bytes.
            try await SerialSensorScript.run(["garbage", pty.sensor, "--random-bytes", "64000", "--overlong", "10", "--length", "10000"])
            // Bad names beside a good one, a banner, then 100 good lines.
            let fd = open(pty.sensor, O_RDWR | O_NOCTTY)
            #expect(fd >= 0)
            let text = Array("a/b=1 *=2 @x=3 ok=4\nSensor ready\n".utf8)
            #expect(write(fd, text, text.count) == text.count)
            close(fd)
            try await SerialSensorScript.run(["write", pty.sensor, "--format", "key-value", "--count", "100"])

            let summary = try await collector.summary()
            let keys = Self.keys(summary)
            #expect(Set(keys.keys) == ["test/serial/noisy/seq", "test/serial/noisy/temp", "test/serial/noisy/hum", "test/serial/noisy/ok"])
            Self.expectEveryLine(keys, "test/serial/noisy/seq", count: 100, encoding: "text/plain")
            let s = bridge.snapshot()
            #expect(s.invalidUTF8Lines == 1000, "\(s)")
            #expect(s.overlongLines == 10, "\(s)")
            #expect(s.invalidNames == 3, "\(s)")
            #expect(s.malformedLines == 1, "\(s)")
            #expect(s.samples == 301, "\(s)")
            #expect(s.lines == 1000 + 2 + 100, "\(s)")
            #expect(s.errors == 1000 + 10 + 3 + 1, "\(s)")
            #expect(s.publishFailures == 0 && s.losses == 0, "\(s)")
            // Reported, but not once per line.
            let warnings = logs.values.filter { $0.hasPrefix("warning") }
            #expect(warnings.contains { $0.contains("not UTF-8") })
            #expect(warnings.contains { $0.contains("longer than 4096 bytes") })
            #expect(warnings.count < 10, "\(warnings)")
            await bridge.stop()
            #expect(!bridge.snapshot().isOpen)
            await session.close()
        }
    }
}
