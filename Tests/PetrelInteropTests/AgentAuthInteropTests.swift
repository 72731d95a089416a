import Foundation
import Logging
import NIOPosix
import PetrelSession
import PetrelTransport
import PetrelWire
import Testing

extension InteropTests {
    /// `petrel agent` with user/password on both sides: proving itself to a
    /// router that requires it, and requiring it from the devices on its
    /// listener (Zenoh's own client and Petrel as devices).
    @Suite("the agent with user/password authentication, upstream and for its devices", .serialized)
    struct AgentAuthInteropTests {
        static let routerPassword = "Router-Pass-9"
        static let devicePassword = "Device-Pass-3"
        static let testerPassword = "Tester-Pass-5"

        /// A config file only its owner may read, as a file with secrets should be.
        static func privateFile(_ dir: TestDirectory, _ name: String, _ text: String) throws -> String {
            let p = try dir.write(name, text)
            chmod(p, 0o600)
            return p
        }

        static func startAgent(config: String, waitFor: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestProcess {
            try TestEnvironment.requirePetrel()
            let agent = try TestProcess("petrel agent (auth)", executable: TestEnvironment.petrel, arguments: ["agent", "-c", config],
                                        environment: ["PETREL_DATA_DIR": AgentInteropTests.dataDir()])
            let up = await eventually(timeout: .seconds(20)) {
                waitFor.allSatisfy { w in agent.errorOutput.contains { $0.contains(w) } }
            }
            if !up { Issue.record("the agent did not log \(waitFor): \(agent.errorOutput.suffix(8))", sourceLocation: sourceLocation) }
            return agent
        }

        @Test("an agent proves its credentials to the router and checks its devices'; no password shows in logs, admin space or petrel info")
        func agentBothSides() async throws {
            let dir = try TestDirectory("agent-auth")
            defer { dir.remove() }
            let routerUsers = try dir.write("router-users.txt", "edge:\(Self.routerPassword)\ntester:\(Self.testerPassword)\n")
            let router = try await ZenohRouter.start(extraArguments: ["--usrpwd-dictionary", routerUsers])
            defer { router.process.kill() }
            let deviceUsers = try Self.privateFile(dir, "device-users.txt", "sensor1:\(Self.devicePassword)\n")
            let listen = "tcp/127.0.0.1:\(TestEnvironment.freePort())"
            let config = try Self.privateFile(dir, "agent.json5", """
                { connect: { endpoints: ["\(router.tcp)"] }, listen: { endpoints: ["\(listen)"] },
                  log: { level: "debug" },
                  transport: { auth: { usrpwd: { user: "edge", password: "\(Self.routerPassword)", dictionary_file: "\(deviceUsers)" } } } }
                """)
            let agent = try await Self.startAgent(config: config, waitFor: ["session open", "listening"])
            defer { agent.kill() }

            // The test's own view of the router, as another authenticated user.
            let tester = try await openSession(router.tcp) { $0.transport.usrpwd = UsrPwdCredentials(user: "tester", password: Self.testerPassword) }
            let upstream = Collector<String>()
            _ = try await tester.declareSubscriber("farm/**") { upstream.add("\($0.key)=\(String(decoding: $0.payload, as: UTF8.self))") }

            // A Petrel device: its puts cross the agent to the router once the
            // agent has heard of the tester's subscriber (polled by putting again).
            let device = try await openSession(listen) { $0.transport.usrpwd = UsrPwdCredentials(user: "sensor1", password: Self.devicePassword) }
            let crossed = await eventually(timeout: .seconds(20)) {
                try? await device.put("farm/petrel/t", Array("22".utf8))
                return await upstream.wait(for: 1, timeout: .milliseconds(200)).contains("farm/petrel/t=22")
            }
            #expect(crossed, "\(upstream.values)")
            await device.close()
            // Zenoh's own client as a device with the right credentials.
            let pyDevice = try PythonZenoh.startAt(listen, ["--set", "transport/auth/usrpwd/user=\"sensor1\"",
                                                            "--set", "transport/auth/usrpwd/password=\"\(Self.devicePassword)\"",
                                                            "put", "farm/py/t", "21"])
            #expect(await pyDevice.waitForExit() == 0, "\(pyDevice.errorOutput.suffix(3))")
            #expect(await eventually { upstream.values.contains("farm/py/t=21") }, "\(upstream.values)")

            // Devices with a wrong password or none are refused, Zenoh's and Petrel's alike.
            let pyWrong = try PythonZenoh.startAt(listen, ["--set", "transport/auth/usrpwd/user=\"sensor1\"",
                                                           "--set", "transport/auth/usrpwd/password=\"nope\"", "put", "farm/py/bad", "x"])
            #expect(await pyWrong.waitForExit() != 0, "Zenoh's client opened with a wrong password")
            let pyNone = try PythonZenoh.startAt(listen, ["put", "farm/py/none", "x"])
            #expect(await pyNone.waitForExit() != 0, "Zenoh's client opened without credentials")
            var wrong = TransportConfig()
            wrong.usrpwd = UsrPwdCredentials(user: "sensor1", password: "nope")
            do {
                let t = try await UnicastTransport.connect(to: try Endpoint(listen), config: wrong, group: MultiThreadedEventLoopGroup.singleton,
                                                           delegate: NullDelegate(), logger: Logger(label: "test"))
                Issue.record("a wrong password opened a session with the agent")
                await t.close()
            } catch let e as TransportError {
                #expect(e.isRefusal, "\(e)")
            }
            #expect(await eventually { agent.errorOutput.contains { $0.contains("wrong password for user 'sensor1'") } })
            #expect(!upstream.values.contains { $0.contains("bad") || $0.contains("none") })

            // The admin space and petrel info (through a config file with the tester's credentials).
            let admin = try await tester.getAll("@/**/petrel/**", timeout: .seconds(3))
            let adminText = admin.compactMap { $0.sample.map { String(decoding: $0.payload, as: UTF8.self) } }.joined(separator: "\n")
            #expect(adminText.contains("\"zid\""), "the admin space answered: \(adminText.prefix(200))")
            let toolConfig = try Self.privateFile(dir, "tool.json5",
                                                  "{ transport: { auth: { usrpwd: { user: 'tester', password: '\(Self.testerPassword)' } } } }")
            let info = try await PetrelTool.run(["info", "-c", toolConfig, "-e", router.tcp, "--timeout", "3"])
            #expect(info.status == 0, "\(info.err)")
            #expect(info.out.contains("agents: 1"), "\(info.out)")

            agent.terminate()
            _ = await agent.waitForExit(timeout: .seconds(10))
            let everything = ([adminText] + info.out + info.err + agent.output + agent.errorOutput).joined(separator: "\n")
            for secret in [Self.routerPassword, Self.devicePassword, Self.testerPassword] {
                #expect(!everything.contains(secret), "the password \(secret) was shown")
            }
            #expect(agent.errorOutput.contains { $0.contains("user=sensor1") && $0.contains("session open") })
            await tester.close()
        }

        @Test("an agent with a wrong password warns naming the router, keeps retrying, and never logs the password")
        func agentWrongPassword() async throws {
            let dir = try TestDirectory("agent-auth")
            defer { dir.remove() }
            let routerUsers = try dir.write("router-users.txt", "edge:\(Self.routerPassword)\n")
            let router = try await ZenohRouter.start(extraArguments: ["--usrpwd-dictionary", routerUsers])
            defer { router.process.kill() }
            let config = try Self.privateFile(dir, "agent.json5", """
                { connect: { endpoints: ["\(router.tcp)"] }, log: { level: "debug" },
                  transport: { auth: { usrpwd: { user: "edge", password: "Not-The-Pass-1" } } } }
                """)
            let agent = try await Self.startAgent(config: config, waitFor: ["connect refused"])
            defer { agent.kill() }
            #expect(await eventually(timeout: .seconds(20)) { agent.errorOutput.filter { $0.contains("connect refused") }.count >= 2 }, "retried")
            let refusal = agent.errorOutput.first { $0.contains("connect refused") } ?? ""
            #expect(refusal.contains(router.tcp) && refusal.contains("refused user 'edge'") && refusal.contains("wrong user name or password"), "\(refusal)")
            agent.terminate()
            _ = await agent.waitForExit(timeout: .seconds(10))
            #expect(!(agent.output + agent.errorOutput).joined().contains("Not-The-Pass-1"))
        }
    }
}

extension PythonZenoh {
    /// Zenoh's Python API connected to `endpoint` (an agent's listener rather than the router).
    static func startAt(_ endpoint: String, _ args: [String]) throws -> TestProcess {
        try TestEnvironment.requirePython()
        return try TestProcess("python \(args.first ?? "")", executable: TestEnvironment.python,
                               arguments: [TestEnvironment.script("zenoh_client.py"), "-e", endpoint] + args)
    }
}
