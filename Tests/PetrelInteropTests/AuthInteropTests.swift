import Foundation
import Logging
import NIOPosix
import PetrelSession
import PetrelTestSupport
import PetrelTransport
import PetrelWire
import Testing

/// Files a test writes for a router (dictionaries, certificates), removed with the test's directory.
final class TestDirectory: Sendable {
    let path: String

    init(_ name: String) throws {
        path = NSTemporaryDirectory() + "petrel-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let p = path + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension InteropTests {
    /// User/password authentication (Zenoh's usrpwd) against a real Zenoh router that requires it.
    @Suite("User/password authentication against a real Zenoh router", .serialized)
    struct UsrPwdInteropTests {
        static let dictionary = "alice:secret1\nbob:pw2\n"

        static func authRouter(_ dir: TestDirectory) async throws -> ZenohRouter {
            let dict = try dir.write("users.txt", dictionary)
            return try await ZenohRouter.start(extraArguments: ["--usrpwd-dictionary", dict])
        }

        static func credentials(_ user: String, _ password: String) -> (inout SessionConfig) -> Void {
            { $0.transport.usrpwd = UsrPwdCredentials(user: user, password: password) }
        }

        /// Zenoh's Python API with the same credentials, as the other end of the data.
        static func python(_ router: ZenohRouter, user: String, password: String, _ args: [String]) throws -> TestProcess {
            try PythonZenoh.start(router, ["--set", "transport/auth/usrpwd/user=\"\(user)\"",
                                           "--set", "transport/auth/usrpwd/password=\"\(password)\""] + args)
        }

        @Test("right credentials open the session, and data flows both ways with Zenoh's own client")
        func rightCredentials() async throws {
            let dir = try TestDirectory("usrpwd")
            defer { dir.remove() }
            let router = try await Self.authRouter(dir)
            defer { router.process.kill() }
            let session = try await openSession(router.tcp, configure: Self.credentials("alice", "secret1"))
            let view = RouterView(session: session)
            session.watchDeclarations {}
            let received = Collector<String>()
            _ = try await session.declareSubscriber("auth/from-python") { received.add(String(decoding: $0.payload, as: UTF8.self)) }

            let pySub = try Self.python(router, user: "bob", password: "pw2", ["sub", "auth/from-petrel", "--count", "1", "--timeout", "30"])
            defer { pySub.kill() }
            #expect(await pySub.waitForLine { $0.contains("\"ready\"") } != nil, "Zenoh's client could not open: \(pySub.errorOutput.suffix(3))")
            #expect(await view.subscriber("auth/from-petrel"), "python's subscriber reached the router")
            try await session.put("auth/from-petrel", Array("hello from petrel".utf8))
            let line = await pySub.waitForLine(timeout: .seconds(20)) { $0.contains("\"payload\"") }
            #expect(line.flatMap(jsonObject)?["payload"] as? String == "hello from petrel")

            let pyPut = try Self.python(router, user: "bob", password: "pw2", ["put", "auth/from-python", "hello from python"])
            #expect(await received.wait(for: 1) == ["hello from python"])
            _ = await pyPut.waitForExit()
            await session.close()
        }

        @Test("a wrong password or an unknown user is refused with an error naming the endpoint, retried, and the password is never logged")
        func wrongCredentials() async throws {
            let dir = try TestDirectory("usrpwd")
            defer { dir.remove() }
            let router = try await Self.authRouter(dir)
            defer { router.process.kill() }
            for (user, password) in [("alice", "Wr0ngPassw0rd"), ("mallory", "Secr3tOfMallory")] {
                // The transport's own error, as the router's Close after our OpenSyn means it.
                do {
                    var config = TransportConfig()
                    config.usrpwd = UsrPwdCredentials(user: user, password: password)
                    let t = try await UnicastTransport.connect(to: try Endpoint(router.tcp), config: config, group: MultiThreadedEventLoopGroup.singleton,
                                                               delegate: NullDelegate(), logger: Logger(label: "test"))
                    Issue.record("\(user) opened a session: \(t.parameters)")
                    await t.close()
                } catch let e as TransportError {
                    #expect(e == .authentication("the router at \(router.tcp) refused user '\(user)', password ***: wrong user name or password"))
                }

                // A session keeps retrying with back-off, warns each time, and gives up the open with that reason.
                let logs = LogLines()
                do {
                    let s = try await openSessionWaiting(router.tcp, wait: .seconds(3), logger: logs.logger("auth"), configure: Self.credentials(user, password))
                    Issue.record("\(user) opened a session")
                    await s.close()
                } catch let e as SessionError {
                    #expect("\(e)".contains("refused user '\(user)'") && "\(e)".contains(router.tcp), "\(e)")
                    #expect(!"\(e)".contains(password))
                }
                let refusals = logs.values.filter { $0.hasPrefix("warning connect refused") }
                #expect(refusals.count >= 2, "retried with back-off: \(logs.values)")
                #expect(refusals.allSatisfy { $0.contains("endpoint=\(router.tcp)") && $0.contains("wrong user name or password") })
                #expect(!logs.values.joined(separator: "\n").contains(password))
            }
        }

        @Test("without credentials the router closes the link at the InitSyn, and the error points at transport.auth.usrpwd")
        func noCredentials() async throws {
            let dir = try TestDirectory("usrpwd")
            defer { dir.remove() }
            let router = try await Self.authRouter(dir)
            defer { router.process.kill() }
            do {
                let t = try await UnicastTransport.connect(to: try Endpoint(router.tcp), config: TransportConfig(), group: MultiThreadedEventLoopGroup.singleton,
                                                           delegate: NullDelegate(), logger: Logger(label: "test"))
                Issue.record("opened a session without credentials: \(t.parameters)")
                await t.close()
            } catch let e as TransportError {
                guard case .handshake(let why) = e else {
                    Issue.record("failed with \(e)")
                    return
                }
                #expect(why.contains("transport.auth.usrpwd") && why.contains(router.tcp))
            }
        }

        @Test("credentials offered to a router that does not use usrpwd: refused by Petrel, saying the router does not use it")
        func routerWithoutAuth() async throws {
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            var config = TransportConfig()
            config.usrpwd = UsrPwdCredentials(user: "alice", password: "secret1")
            do {
                let t = try await UnicastTransport.connect(to: try Endpoint(router.tcp), config: config, group: MultiThreadedEventLoopGroup.singleton,
                                                           delegate: NullDelegate(), logger: Logger(label: "test"))
                Issue.record("opened: \(t.parameters)")
                await t.close()
            } catch let e as TransportError {
                guard case .authentication(let why) = e else {
                    Issue.record("failed with \(e)")
                    return
                }
                #expect(why.contains("does not use user/password"))
            }
        }
    }
}

/// A delegate for links a test opens only to see whether they open.
final class NullDelegate: TransportDelegate {
    func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {}
    func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {}
}

/// Like `openSession`, with the wait for a router given.
func openSessionWaiting(_ endpoint: String, wait: Duration, logger: Logger, configure: (inout SessionConfig) -> Void) async throws -> Session {
    var config = SessionConfig(connect: [try Endpoint(endpoint)])
    config.reconnect.initialDelay = .milliseconds(50)
    config.reconnect.maxDelay = .milliseconds(500)
    configure(&config)
    return try await Session.open(config, waitForRouter: wait, logger: logger)
}
