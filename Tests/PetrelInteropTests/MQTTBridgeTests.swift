import Foundation
import PetrelSession
import Testing

extension InteropTests {
    /// `petrel agent` bridging a real Mosquitto broker and a real Zenoh router,
    /// seen from mosquitto_pub/mosquitto_sub on one side and Zenoh's Python API
    /// on the other.
    @Suite("MQTT bridge against a real Mosquitto broker and Zenoh router", .serialized)
    struct MQTTBridgeTests {
        static func mqtt(_ broker: MosquittoBroker, _ mappings: String, extra: String = "") -> String {
            "{ broker: \"\(broker.endpoint)\", \(extra) mappings: [\(mappings)] }"
        }

        @Test("mosquitto_pub -> Python Zenoh subscriber on the mapped key, + and # filters; unbridgeable topics are skipped")
        func mqttToZenoh() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "sensors/+/temp", key: "farm/pi1/mqtt" }, { topic: "home/#", key: "farm/home" }
                """))
            defer { agent.kill() }
            let sub = try await PythonZenoh.startReady(router, ["sub", "farm/**", "--timeout", "20"])
            defer { sub.kill() }
            try await broker.publish(["-t", "sensors/a/temp", "-m", "21.5", "-q", "1"])
            try await broker.publish(["-t", "sensors/a/hum", "-m", "not mapped"])
            // Topics with no Zenoh key: skipped, counted, the agent keeps going.
            for topic in ["home//x", "home/a*b", "home/$x", "home/a?b", "home/"] {
                try await broker.publish(["-t", topic, "-m", "skip"])
            }
            try await broker.publish(["-t", "home/kitchen/light", "-m", "on", "-q", "1"])
            try await broker.publish(["-t", "home", "-m", "root", "-q", "1"])
            let lines = await waitForOutput(sub, 3, timeout: .seconds(15)) { $0.contains("\"kind\"") }.compactMap(jsonObject)
            let got = lines.map { "\($0["key"] as? String ?? "?")=\($0["payload"] as? String ?? "?")" }
            #expect(got == ["farm/pi1/mqtt/sensors/a/temp=21.5", "farm/home/home/kitchen/light=on", "farm/home/home=root"],
                    "agent: \(MQTTAgent.allOutput(agent).suffix(8))")
            #expect(agent.isRunning)
            #expect(MQTTAgent.allOutput(agent).contains { $0.contains("not bridged") && $0.contains("home//x") })
        }

        @Test("Python Zenoh put -> mosquitto_sub on the mapped topic with QoS and retain; delete -> empty retained message")
        func zenohToMQTT() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "cmd/+/set", key: "farm/pi1", direction: "out", qos: 1 },
                { topic: "state/#", key: "farm/pi1", direction: "out", qos: 0, retain: true }
                """))
            defer { agent.kill() }
            let sub = try await broker.subscribe("#", extra: ["-q", "1"])
            defer { sub.kill() }
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/cmd/valve/set", "open"])
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/cmd/valve/other", "not mapped"])
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/state/valve", "opened"])
            await waitForMQTTMessages(sub, 2, timeout: .seconds(10))
            let got = mqttMessages(sub).map { "\($0.topic)=\($0.payload)" }
            #expect(got == ["cmd/valve/set=open", "state/valve=opened"], "agent: \(MQTTAgent.allOutput(agent).suffix(8))")

            // retain: a subscriber arriving later gets the value from the broker.
            let late = try await broker.subscribe("state/#")
            await waitForMQTTMessages(late, 1, timeout: .seconds(5))
            #expect(mqttMessages(late).map { "\($0.retain) \($0.topic)=\($0.payload)" } == ["true state/valve=opened"])
            late.kill()

            // A Zenoh delete clears the retained value (an empty retained message).
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/state/valve", "x", "--delete"])
            await waitForMQTTMessages(sub, 3, timeout: .seconds(10))
            #expect(mqttMessages(sub).last.map { "\($0.topic)=\($0.payload)" } == "state/valve=")
            let after = try await broker.subscribe("state/#")
            // A retained value would come at once on subscribing; none may come.
            await quietPeriod(.milliseconds(800))
            #expect(mqttMessages(after).isEmpty, "the retained value was not cleared: \(mqttMessages(after))")
            after.kill()
        }

        @Test("QoS 1: 1000 messages each way all arrive, in order")
        func qos1Thousand() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "up/#", key: "farm/pi1", direction: "in", qos: 1 },
                { topic: "down/#", key: "farm/pi1", direction: "out", qos: 1 }
                """))
            defer { agent.kill() }
            let n = 1000

            let zsub = try await PythonZenoh.startReady(router, ["sub", "farm/pi1/up/**", "--timeout", "60"])
            defer { zsub.kill() }
            try await broker.publishLines((0..<n).map { "m\($0)" }, topic: "up/a", extra: ["-q", "1"])
            let zlines = await waitForOutput(zsub, n, timeout: .seconds(60)) { $0.contains("\"kind\"") }.compactMap(jsonObject)
            #expect(zlines.map { $0["payload"] as? String ?? "" } == (0..<n).map { "m\($0)" },
                    "MQTT -> Zenoh: \(zlines.count) of \(n)")

            let msub = try await broker.subscribe("down/#", extra: ["-q", "1"])
            defer { msub.kill() }
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/down/b", "m{i}", "--count", "\(n)"], timeout: .seconds(60))
            await waitForMQTTMessages(msub, n, timeout: .seconds(60))
            let got = mqttMessages(msub).map(\.payload)
            #expect(got == (0..<n).map { "m\($0)" }, "Zenoh -> MQTT: \(got.count) of \(n)")
        }

        @Test("retained MQTT messages, also those retained before the agent started, answer a Zenoh get")
        func retainedAnswersGet() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            try await broker.publish(["-t", "sensors/early", "-m", "before", "-r", "-q", "1"])
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, "{ topic: \"sensors/#\", key: \"farm/pi1/mqtt\" }"))
            defer { agent.kill() }
            try await broker.publish(["-t", "sensors/late", "-m", "after", "-r", "-q", "1"])
            try await broker.publish(["-t", "sensors/live", "-m", "not retained", "-q", "1"])
            func retained(_ selector: String) async -> Set<String> {
                let replies = (try? await PythonZenoh.run(router, ["get", selector, "--timeout", "3"]).compactMap(jsonObject)) ?? []
                return Set(replies.map { "\($0["key"] as? String ?? "?")=\($0["payload"] as? String ?? "?")" })
            }
            var got: Set<String> = []
            _ = await eventually { got = await retained("farm/pi1/mqtt/**"); return got.count >= 2 }
            #expect(got == ["farm/pi1/mqtt/sensors/early=before", "farm/pi1/mqtt/sensors/late=after"])
            // A narrower get, and an empty retained message forgets the value.
            try await broker.publish(["-t", "sensors/early", "-n", "-r", "-q", "1"])
            _ = await eventually { got = await retained("farm/pi1/mqtt/sensors/*"); return got.count == 1 }
            #expect(got == ["farm/pi1/mqtt/sensors/late=after"])
        }

        @Test("direction both: each message arrives exactly once on the other side and is never echoed back")
        func noEcho() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "sensors/#", key: "farm/pi1/mqtt", direction: "both", qos: 1 }
                """))
            defer { agent.kill() }
            let zsub = try await PythonZenoh.startReady(router, ["sub", "farm/**", "--timeout", "30"])
            defer { zsub.kill() }
            let msub = try await broker.subscribe("#", extra: ["-q", "1"])
            defer { msub.kill() }
            try await broker.publish(["-t", "sensors/from-mqtt", "-m", "a", "-q", "1"])
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/mqtt/sensors/from-zenoh", "b"])
            // Time for any echo to come round.
            await quietPeriod(.seconds(2))
            let zgot = zsub.output.compactMap(jsonObject).filter { $0["kind"] != nil }.map { "\($0["key"] as? String ?? "?")=\($0["payload"] as? String ?? "?")" }
            #expect(zgot.sorted() == ["farm/pi1/mqtt/sensors/from-mqtt=a", "farm/pi1/mqtt/sensors/from-zenoh=b"])
            let mgot = mqttMessages(msub).map { "\($0.topic)=\($0.payload)" }
            #expect(mgot.sorted() == ["sensors/from-mqtt=a", "sensors/from-zenoh=b"])
        }

        @Test("router killed and restarted: MQTT messages that arrive meanwhile wait in the offline buffer and reach Zenoh once, with the time they arrived; the board's storage has them during the outage; none echo back to MQTT")
        func routerOutage() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            let port = router.port
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "sensors/#", key: "farm/pi1/mqtt", direction: "both", qos: 1 }
                """), extra: "storages: [ { key: \"farm/**\", mode: \"time-series\", hot: \"10m\" } ],")
            defer { agent.kill() }
            let msub = try await broker.subscribe("#", extra: ["-q", "1"])
            defer { msub.kill() }

            await router.kill()
            #expect(await MQTTAgent.waitForLog(agent, timeout: .seconds(10)) { $0.contains { $0.contains("link down") } },
                    "the agent did not notice the router going: \(MQTTAgent.allOutput(agent).suffix(5))")
            let outageStarted = Date()
            let n = 50
            for i in 0..<n {
                try await broker.publish(["-t", "sensors/field/temp", "-m", "r\(i)", "-q", "1"])
            }
            // The board keeps working: its own storage already has the readings
            // (asked through the agent's own session by the router that comes back, below).
            await quietPeriod(.seconds(1))
            let restarted = try await ZenohRouter.start(port: port)
            defer { restarted.process.kill() }
            let restartedAt = Date()
            let zsub = try await PythonZenoh.startReady(restarted, ["sub", "farm/**", "--timeout", "40"])
            defer { zsub.kill() }

            let lines = await waitForOutput(zsub, n, timeout: .seconds(30)) { $0.contains("\"kind\"") }.compactMap(jsonObject)
            let payloads = lines.compactMap { $0["payload"] as? String }
            #expect(payloads == (0..<n).map { "r\($0)" }, "agent: \(MQTTAgent.allOutput(agent).suffix(8))")
            // Stamped when they arrived from MQTT, during the outage, not at the replay.
            let seconds = lines.compactMap { ($0["timestamp"] as? String).flatMap { Double($0.split(separator: "/")[0]) } }
                .map { $0 / 4_294_967_296 }
            #expect(seconds.count == n)
            #expect(seconds.allSatisfy { $0 > outageStarted.timeIntervalSince1970 - 1 && $0 < restartedAt.timeIntervalSince1970 },
                    "timestamps outside the outage: \(seconds.prefix(3))")

            // The storage holds each reading once (the replay went upstream only).
            let stored = try await PythonZenoh.run(restarted, ["get", "farm/**?_time=[now(-5m)..]", "--consolidation", "none", "--timeout", "3"])
                .compactMap(jsonObject).compactMap { $0["payload"] as? String }
            #expect(stored.sorted() == (0..<n).map { "r\($0)" }.sorted())
            // Nothing came back to MQTT: the broker saw the n messages that were published, once each.
            await quietPeriod(.seconds(1))
            let mgot = mqttMessages(msub).map(\.payload)
            #expect(mgot == (0..<n).map { "r\($0)" })
            #expect(agent.isRunning)
        }

        @Test("a gateway device's readings while the router is down reach MQTT once, when taken, and Zenoh after the router returns")
        func deviceReadingsDuringOutage() async throws {
            let broker = try await MosquittoBroker.start()
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            let port = router.port
            let listen = "tcp/127.0.0.1:\(TestEnvironment.freePort())"
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "#", key: "farm/dev", direction: "out", qos: 1 }
                """), extra: "listen: { endpoints: [\"\(listen)\"] },")
            defer { agent.kill() }
            let msub = try await broker.subscribe("#", extra: ["-q", "1"])
            defer { msub.kill() }
            let device = try await openSession(listen)
            defer { Task { await device.close() } }

            await router.kill()
            #expect(await MQTTAgent.waitForLog(agent, timeout: .seconds(10)) { $0.contains { $0.contains("link down") } })
            let n = 20
            for i in 0..<n { try await device.put("farm/dev/reading", "d\(i)") }
            // MQTT hears them now, while the router is away.
            let live = await waitForMQTTMessages(msub, n, timeout: .seconds(10)).map(\.payload)
            #expect(live == (0..<n).map { "d\($0)" })

            let back = try await ZenohRouter.start(port: port)
            defer { back.process.kill() }
            let zsub = try await PythonZenoh.startReady(back, ["sub", "farm/**", "--timeout", "30"])
            defer { zsub.kill() }
            let lines = await waitForOutput(zsub, n, timeout: .seconds(25)) { $0.contains("\"kind\"") }
            #expect(lines.compactMap(jsonObject).compactMap { $0["payload"] as? String } == (0..<n).map { "d\($0)" })
            // The replay went upstream only: MQTT did not get the readings a second time.
            await quietPeriod(.seconds(1))
            #expect(mqttMessages(msub).map(\.payload) == (0..<n).map { "d\($0)" })
        }

        @Test("broker killed and restarted: Zenoh -> MQTT messages queued meanwhile are all delivered, in order; Zenoh is served meanwhile")
        func brokerOutage() async throws {
            let dir = MosquittoBroker.tempDir("mosquitto")
            // Persistence keeps the test subscriber's session (and what is
            // queued for it) across the broker's restart.
            let broker = try await MosquittoBroker.start(config: [
                "allow_anonymous true", "persistence true", "persistence_location \(dir)/", "autosave_interval 1",
                "max_queued_messages 10000",
            ], dir: dir)
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "q/#", key: "farm/pi1", direction: "out", qos: 1 }
                """, extra: "queue: { max_messages: 1000 },"))
            defer { agent.kill() }
            // A persistent-session subscriber, registered then gone.
            let first = try await broker.subscribe("q/#", extra: ["-q", "1", "-c", "-i", "petrel-test-sub"])
            first.kill()
            await quietPeriod(.milliseconds(1500))  // mosquitto's autosave interval passes
            await broker.kill()
            #expect(await MQTTAgent.waitForLog(agent, timeout: .seconds(10)) { $0.contains { $0.contains("MQTT broker unreachable") } },
                    "the agent did not notice the broker going: \(MQTTAgent.allOutput(agent).suffix(5))")

            let n = 300
            _ = try await PythonZenoh.run(router, ["put", "farm/pi1/q/x", "m{i}", "--count", "\(n)"], timeout: .seconds(60))
            // The agent keeps serving Zenoh: its admin space answers.
            let status = try await PythonZenoh.run(router, ["get", "@/**/petrel/status", "--timeout", "3"])
            #expect(status.contains { $0.contains("petrel/status") }, "no admin-space answer during the outage")

            try await broker.run()
            #expect(await MQTTAgent.waitForLog(agent, timeout: .seconds(40)) { $0.contains { $0.contains("reconnected to the MQTT broker") } },
                    "the agent did not reconnect: \(MQTTAgent.allOutput(agent).suffix(5))")
            let second = try await broker.subscribe("q/#", extra: ["-q", "1", "-c", "-i", "petrel-test-sub"])
            defer { second.kill() }
            await waitForMQTTMessages(second, n, timeout: .seconds(30))
            let got = mqttMessages(second).map(\.payload)
            let expected = (0..<n).map { "m\($0)" }
            let firstDifference = (0..<min(got.count, n)).first { got[$0] != expected[$0] } ?? min(got.count, n)
            let detail = "\(got.count) of \(n) after the restart; first difference at \(firstDifference): "
                + "\(got.dropFirst(firstDifference).prefix(5)); mosquitto_sub (exit \(second.exitStatus.map(String.init) ?? "-")): "
                + "\(second.output.suffix(4)) \(second.errorOutput.suffix(4)); broker: \(broker.process?.errorOutput.suffix(8) ?? [])"
            #expect(got == expected, "\(detail)")
        }

        @Test("username/password: accepted with the right ones; with a wrong password the agent says why and keeps retrying")
        func usernamePassword() async throws {
            try MosquittoBroker.requireMosquitto()
            let dir = MosquittoBroker.tempDir("mosquitto")
            let passwd = try TestProcess("mosquitto_passwd", executable: "/usr/bin/mosquitto_passwd",
                                         arguments: ["-b", "-c", dir + "/passwd", "bridge", "s3cret"])
            #expect(await passwd.waitForExit() == 0, "\(passwd.errorOutput)")
            let broker = try await MosquittoBroker.start(config: ["allow_anonymous false", "password_file \(dir)/passwd"], dir: dir)
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }

            let wrong = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, "{ topic: \"a/#\", key: \"farm/x\" }",
                                                                                  extra: "username: \"bridge\", password: \"nope\","),
                                                  waitForBroker: false)
            defer { wrong.kill() }
            #expect(await MQTTAgent.waitForLog(wrong, timeout: .seconds(10)) { $0.contains { $0.lowercased().contains("not authori") && $0.contains(broker.endpoint) } },
                    "\(MQTTAgent.allOutput(wrong).suffix(5))")
            #expect(wrong.isRunning)
            wrong.kill()

            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, "{ topic: \"a/#\", key: \"farm/x\" }",
                                                                                  extra: "username: \"bridge\", password: \"s3cret\","))
            defer { agent.kill() }
            let sub = try await PythonZenoh.startReady(router, ["sub", "farm/**", "--timeout", "15"])
            defer { sub.kill() }
            try await broker.publish(["-t", "a/b", "-m", "hello", "-u", "bridge", "-P", "s3cret"])
            let line = await sub.waitForLine(timeout: .seconds(10)) { $0.contains("\"kind\"") }
            #expect(line.flatMap(jsonObject)?["key"] as? String == "farm/x/a/b")
        }

        @Test("TLS to the broker with certificates made by openssl (CA + server certificate for 127.0.0.1), both ways")
        func tls() async throws {
            try MosquittoBroker.requireMosquitto()
            let dir = MosquittoBroker.tempDir("mosquitto-tls")
            func openssl(_ args: [String]) async throws {
                let p = try TestProcess("openssl", executable: "/usr/bin/openssl", arguments: args)
                #expect(await p.waitForExit(timeout: .seconds(60)) == 0, "openssl \(args.prefix(2)): \(p.errorOutput.suffix(5))")
            }
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: dir + "/san.ext", atomically: true, encoding: .utf8)
            try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Petrel test CA",
                               "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt"])
            try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                               "-keyout", dir + "/server.key", "-out", dir + "/server.csr"])
            try await openssl(["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
                               "-CAcreateserial", "-days", "2", "-extfile", dir + "/san.ext", "-out", dir + "/server.crt"])
            let broker = try await MosquittoBroker.start(config: [
                "allow_anonymous true", "cafile \(dir)/ca.crt", "certfile \(dir)/server.crt", "keyfile \(dir)/server.key",
            ], dir: dir)
            defer { broker.process?.kill() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let agent = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, """
                { topic: "sensors/#", key: "farm/tls", direction: "both" }
                """, extra: "tls: { ca_file: \"\(dir)/ca.crt\" },"))
            defer { agent.kill() }
            let zsub = try await PythonZenoh.startReady(router, ["sub", "farm/tls/**", "--timeout", "15"])
            defer { zsub.kill() }
            let msub = try await broker.subscribe("sensors/#", extra: ["--cafile", dir + "/ca.crt"])
            defer { msub.kill() }
            try await broker.publish(["-t", "sensors/t", "-m", "over tls", "--cafile", dir + "/ca.crt"])
            let line = await zsub.waitForLine(timeout: .seconds(10)) { $0.contains("\"kind\"") }
            #expect(line.flatMap(jsonObject)?["payload"] as? String == "over tls")
            _ = try await PythonZenoh.run(router, ["put", "farm/tls/sensors/back", "from zenoh"])
            await waitForMQTTMessages(msub, 2, timeout: .seconds(10))
            #expect(mqttMessages(msub).map { "\($0.topic)=\($0.payload)" } == ["sensors/t=over tls", "sensors/back=from zenoh"])

            // A CA that did not sign the broker's certificate: refused, said, retried.
            try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Other CA",
                               "-keyout", dir + "/other.key", "-out", dir + "/other.crt"])
            let untrusting = try await MQTTAgent.start(router: router, mqtt: Self.mqtt(broker, "{ topic: \"x/#\", key: \"farm/no\" }",
                                                                                       extra: "tls: { ca_file: \"\(dir)/other.crt\" },"),
                                                       waitForBroker: false)
            defer { untrusting.kill() }
            #expect(await MQTTAgent.waitForLog(untrusting, timeout: .seconds(10)) { $0.contains { $0.contains("MQTT broker unreachable") } },
                    "\(MQTTAgent.allOutput(untrusting).suffix(5))")
            #expect(!MQTTAgent.allOutput(untrusting).contains { $0.contains("connected to the MQTT broker") })
        }
    }
}
