import Foundation
import Testing

extension InteropTests {
    /// zenoh-pico devices on every kind of listener of the gateway, upstream of
    /// a real Zenoh router. zenoh-pico ships on no package registry this
    /// project reaches, so the device is `scripts/pico_device.py`: the bytes
    /// zenoh-pico 1.9.0's example programs send (captured from them; the
    /// script checks its encoders against the capture), and zenoh-pico's
    /// reactions, its publisher's write filter above all: a publisher sends
    /// only while a subscriber declaration equal to its key is announced in
    /// answer to its aggregate interest.
    @Suite("zenoh-pico devices through the gateway, on serial, UDP and TCP", .serialized)
    struct PicoDeviceTests {
        static let links = ["serial", "udp", "tcp"]

        /// A real router, and an agent listening on a serial line, UDP and TCP.
        static func start(sourceLocation: SourceLocation = #_sourceLocation) async throws -> SerialGateway {
            try await SerialGateway.start(ip: true, sourceLocation: sourceLocation)
        }

        /// `scripts/pico_device.py ENDPOINT ROLE KEY ARGS…`.
        static func device(_ endpoint: String, _ role: String, _ key: String, _ args: [String] = []) throws -> TestProcess {
            try TestEnvironment.requirePython()
            return try TestProcess("zenoh-pico \(role) \(key)", executable: TestEnvironment.python,
                                   arguments: [TestEnvironment.script("pico_device.py"), endpoint, role, key] + args)
        }

        /// Starts a device and waits for its "ready" line (its declarations sent).
        static func readyDevice(_ endpoint: String, _ role: String, _ key: String, _ args: [String] = [],
                                sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestProcess {
            let d = try device(endpoint, role, key, args)
            if await d.waitForLine(timeout: .seconds(15), where: { $0 == "ready" }) == nil {
                Issue.record("\(role) on \(endpoint) did not get ready: \(d.output.suffix(3)) \(d.errorOutput.suffix(5))",
                             sourceLocation: sourceLocation)
            }
            return d
        }

        @Test("the scripted device's encoders give the bytes zenoh-pico sent")
        func capturedBytes() async throws {
            try TestEnvironment.requirePython()
            let check = try TestProcess("pico_device --self-test", executable: TestEnvironment.python,
                                        arguments: [TestEnvironment.script("pico_device.py"), "--self-test"])
            #expect(await check.waitForExit() == 0)
            #expect(check.output.last?.hasPrefix("self-test ok") == true, "\(check.output)")
        }

        @Test("z_pub: its write filter opens for a subscriber at the router and its puts arrive; it closes when the subscriber leaves; z_put arrives",
              arguments: links)
        func publisher(link: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let atRouter = try await PythonZenoh.startReady(s.router, ["sub", "pico/\(link)/**", "--timeout", "30"])
            defer { atRouter.kill() }

            let pub = try await Self.readyDevice(s.endpoint(link), "pub", "pico/\(link)/temp", ["--count", "60", "--interval", "0.1", "--timeout", "20"])
            defer { pub.kill() }
            #expect(await pub.waitForLine(timeout: .seconds(10)) { $0 == "matching" } != nil,
                    "no subscriber announced to the publisher: \(pub.output.suffix(4)); gateway: \(s.agent.errorOutput.suffix(4))")
            let arrived = await atRouter.waitForLines(4, timeout: .seconds(10)) { $0.contains("pico/\(link)/temp") }
            #expect(arrived.count == 4, "the router's subscriber got \(arrived.count) of the publisher's puts")
            #expect(arrived.first.flatMap(jsonObject)?["payload"] as? String == "[   0] hello")

            // The router's subscriber leaves: the publisher hears of it and stops sending.
            atRouter.kill()
            #expect(await pub.waitForLine(timeout: .seconds(10)) { $0 == "not matching" } != nil,
                    "the publisher was not told its subscriber left: \(pub.output.suffix(4))")

            // z_put: no publisher, no filter (after the publisher's session ends: a serial line carries one at a time).
            #expect(await pub.waitForExit(timeout: .seconds(15)) == 0)
            let again = try await PythonZenoh.startReady(s.router, ["sub", "pico/\(link)/once", "--count", "1", "--timeout", "20"])
            defer { again.kill() }
            let put = try Self.device(s.endpoint(link), "put", "pico/\(link)/once", ["--value", "42"])
            #expect(await put.waitForExit() == 0)
            let once = await again.waitForLine(timeout: .seconds(10)) { $0.contains("pico/\(link)/once") }.flatMap(jsonObject)
            #expect(once?["payload"] as? String == "42")
        }

        @Test("a publisher on a key nobody subscribes to is told of no subscriber, then of one appearing at the router",
              arguments: ["udp"])
        func publisherWaitsForASubscriber(link: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let pub = try await Self.readyDevice(s.endpoint(link), "pub", "late/temp", ["--count", "80", "--interval", "0.1", "--timeout", "20"])
            defer { pub.kill() }
            #expect(await pub.waitForLine(timeout: .seconds(5)) { $0 == "dropped 3" } != nil)
            #expect(!pub.output.contains("matching"), "announced a subscriber that does not exist: \(pub.output.prefix(6))")
            let atRouter = try await PythonZenoh.startReady(s.router, ["sub", "late/**", "--count", "2", "--timeout", "20"])
            defer { atRouter.kill() }
            #expect(await pub.waitForLine(timeout: .seconds(10)) { $0 == "matching" } != nil, "\(pub.output.suffix(3))")
            #expect(await atRouter.waitForLines(2, timeout: .seconds(10)) { $0.contains("late/temp") }.count == 2)
        }

        @Test("while the router is down the offline buffer is the subscriber: a zenoh-pico publisher keeps writing, and its readings arrive once the router is back",
              arguments: ["serial"])
        func publisherDuringAnOutage(link: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            await s.router.kill()
            #expect(await SerialAgent.waitForLog(s.agent, "link down"), "\(s.agent.errorOutput.suffix(4))")
            let pub = try await Self.readyDevice(s.endpoint(link), "pub", "outage/pico", ["--count", "10", "--timeout", "15"])
            defer { pub.kill() }
            #expect(await pub.waitForExit(timeout: .seconds(15)) == 0)
            #expect(pub.output.filter { $0.hasPrefix("put") }.count == 10, "readings dropped at the device: \(pub.output)")

            let back = try await ZenohRouter.start(port: s.router.port)
            defer { back.process.kill() }
            let sub = try await PythonZenoh.startReady(back, ["sub", "outage/**", "--count", "10", "--timeout", "30"])
            defer { sub.kill() }
            let values = await sub.waitForLines(10, timeout: .seconds(25)) { $0.contains("outage/pico") }
                .compactMap(jsonObject).compactMap { $0["payload"] as? String }
            #expect(values == (0..<10).map { String(format: "[%4d] hello", $0) }, "gateway said: \(s.agent.errorOutput.suffix(6))")
        }

        @Test("device to device: a zenoh-pico publisher on one listener reaches a zenoh-pico subscriber on another, once",
              arguments: [("udp", "tcp"), ("serial", "udp"), ("tcp", "serial")])
        func deviceToDevice(from: String, to: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let sub = try await Self.readyDevice(s.endpoint(to), "sub", "d2d/**", ["--count", "5", "--timeout", "20"])
            defer { sub.kill() }
            let pub = try await Self.readyDevice(s.endpoint(from), "pub", "d2d/\(from)", ["--count", "5", "--timeout", "15"])
            defer { pub.kill() }
            #expect(await pub.waitForExit(timeout: .seconds(15)) == 0)
            #expect(pub.output.contains("matching"), "the other device's subscriber was not announced: \(pub.output)")
            // The subscriber closes its session after 5 samples.
            #expect(await sub.waitForExit(timeout: .seconds(10)) == 0, "\(sub.output.suffix(6)); gateway: \(s.agent.errorOutput.suffix(4))")
            #expect(sub.output.filter { $0.hasPrefix("sample") } == (0..<5).map { "sample d2d/\(from) [   \($0)] hello" },
                    "each sample once, in order: \(sub.output)")

            // With the subscriber's device gone, a publisher is told there is nobody left.
            let pub2 = try await Self.readyDevice(s.endpoint(from), "pub", "d2d/\(from)", ["--count", "10", "--timeout", "10"])
            defer { pub2.kill() }
            _ = await pub2.waitForExit(timeout: .seconds(15))
            #expect(!pub2.output.contains("matching"), "a subscriber that left is still announced: \(pub2.output.prefix(4))")
        }

        @Test("queries both ways: z_queryable answers the router's get; z_get gets the router queryable's reply and one final",
              arguments: links)
        func queries(link: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let queryable = try await Self.readyDevice(s.endpoint(link), "queryable", "pico/\(link)/status", ["--value", "ok", "--timeout", "30"])
            defer { queryable.kill() }
            try await RouterView.waitFor(s.router, { await $0.queryable("pico/\(link)/status") }, "the device's queryable")
            let replies = try await PythonZenoh.run(s.router, ["get", "pico/\(link)/**", "--timeout", "5"]).compactMap(jsonObject)
            #expect(replies.compactMap { $0["payload"] as? String } == ["ok"], "\(replies); device: \(queryable.output.suffix(3))")
            #expect(queryable.output.contains("query pico/\(link)/** "), "\(queryable.output.suffix(3))")
            queryable.kill()

            let atRouter = try await PythonZenoh.startReady(s.router, ["queryable", "router/config", "--reply", "router/config=v2", "--timeout", "30"])
            defer { atRouter.kill() }
            let get = try Self.device(s.endpoint(link), "get", "router/**", ["--timeout", "10"])
            #expect(await get.waitForExit(timeout: .seconds(15)) == 0, "no final answer: \(get.output)")
            #expect(get.output.filter { $0.hasPrefix("reply") } == ["reply router/config v2"])
            #expect(get.output.filter { $0 == "final" }.count == 1)
        }

        @Test("a device's get reaches another device's queryable on another listener")
        func deviceQueriesDevice() async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let queryable = try await Self.readyDevice(s.endpoint("serial"), "queryable", "mcu/cfg", ["--value", "baud=115200", "--timeout", "30"])
            defer { queryable.kill() }
            try await RouterView.waitFor(s.router, { await $0.queryable("mcu/cfg") }, "the device's queryable")
            let get = try Self.device(s.endpoint("tcp"), "get", "mcu/**", ["--timeout", "10"])
            #expect(await get.waitForExit(timeout: .seconds(15)) == 0, "no final answer: \(get.output)")
            #expect(get.output.filter { $0.hasPrefix("reply") } == ["reply mcu/cfg baud=115200"])
        }

        @Test("liveliness: a device's token is seen at the router and by other devices, and leaves with it (Close, or killed: lease expiry)",
              arguments: links)
        func liveliness(link: String) async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let other = link == "tcp" ? "udp" : "tcp"
            let watcher = try await Self.readyDevice(s.endpoint(other), "lsub", "group1/**", ["--timeout", "60"])
            defer { watcher.kill() }
            let routerToken = try await PythonZenoh.startReady(s.router, ["liveliness-token", "group1/router-side", "--timeout", "60"])
            defer { routerToken.kill() }
            #expect(await watcher.waitForLine(timeout: .seconds(10)) { $0 == "alive group1/router-side" } != nil,
                    "\(watcher.output) \(watcher.errorOutput.suffix(5)); gateway: \(s.agent.errorOutput.suffix(30))")

            // A token that closes its session with z_close.
            let closing = try await Self.readyDevice(s.endpoint(link), "token", "group1/pico-\(link)", ["--timeout", "8"])
            #expect(await watcher.waitForLine(timeout: .seconds(10)) { $0 == "alive group1/pico-\(link)" } != nil, "\(watcher.output)")
            let atRouter = try await PythonZenoh.run(s.router, ["liveliness-get", "group1/**", "--timeout", "3"]).compactMap(jsonObject)
            #expect(Set(atRouter.compactMap { $0["key"] as? String }) == ["group1/router-side", "group1/pico-\(link)"])
            let lget = try Self.device(s.endpoint(other), "lget", "group1/**", ["--timeout", "10"])
            #expect(await lget.waitForExit(timeout: .seconds(12)) == 0, "\(lget.output)")
            #expect(Set(lget.output.filter { $0.hasPrefix("alive") }) == ["alive group1/router-side", "alive group1/pico-\(link)"])
            #expect(await closing.waitForExit(timeout: .seconds(10)) == 0)
            #expect(await watcher.waitForLine(timeout: .seconds(10)) { $0 == "dropped group1/pico-\(link)" } != nil, "\(watcher.output)")

            // A token whose device is killed: gone when its lease (10 s) expires.
            let killed = try await Self.readyDevice(s.endpoint(link), "token", "group1/killed-\(link)", ["--timeout", "60"])
            #expect(await watcher.waitForLine(timeout: .seconds(10)) { $0 == "alive group1/killed-\(link)" } != nil)
            killed.kill()
            #expect(await watcher.waitForLine(timeout: .seconds(25)) { $0 == "dropped group1/killed-\(link)" } != nil,
                    "the killed device's token stayed: \(watcher.output.suffix(3))")
            let left = try await PythonZenoh.run(s.router, ["liveliness-get", "group1/**", "--timeout", "3"]).compactMap(jsonObject)
            #expect(left.compactMap { $0["key"] as? String } == ["group1/router-side"], "the device's tokens stayed at the router: \(left)")
        }
    }
}
