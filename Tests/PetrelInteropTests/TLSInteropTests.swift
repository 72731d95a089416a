import Foundation
import Logging
import NIOPosix
import PetrelSession
import PetrelTestSupport
import PetrelTransport
import PetrelWire
import Testing

/// A small PKI made with `openssl` for one test: a CA, a server certificate
/// for localhost/127.0.0.1, one for another host name, a client certificate,
/// and a second CA that signed none of them.
struct TestPKI {
    let dir: TestDirectory
    var caCert: String { dir.path + "/ca.pem" }
    var otherCACert: String { dir.path + "/other-ca.pem" }
    var serverCert: String { dir.path + "/server.pem" }
    var serverKey: String { dir.path + "/server.key" }
    var wrongHostCert: String { dir.path + "/wronghost.pem" }
    var wrongHostKey: String { dir.path + "/wronghost.key" }
    var clientCert: String { dir.path + "/client.pem" }
    var clientKey: String { dir.path + "/client.key" }

    static func make(sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestPKI {
        guard let openssl = ["/usr/bin/openssl", "/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("openssl is not installed: run scripts/setup (Debian package openssl)", sourceLocation: sourceLocation)
            throw TestEnvironment.MissingDependency()
        }
        let pki = TestPKI(dir: try TestDirectory("pki"))
        let d = pki.dir.path
        func run(_ args: [String]) async throws {
            let p = try TestProcess("openssl \(args.first ?? "")", executable: openssl, arguments: args)
            let status = await p.waitForExit(timeout: .seconds(60))
            guard status == 0 else {
                Issue.record("openssl \(args.joined(separator: " ")) failed: \(p.errorOutput.suffix(5))", sourceLocation: sourceLocation)
                throw TestEnvironment.MissingDependency()
            }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try await run(["req", "-x509"] + ec + ["-keyout", "\(d)/\(ca).key", "-out", "\(d)/\(ca).pem", "-days", "2",
                           "-subj", "/CN=Petrel test \(ca)", "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        // Leaf certificates signed by the first CA: name, SANs, usage.
        for (name, subject, extensions) in [
            ("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
            ("wronghost", "/CN=router.example.org", "subjectAltName=DNS:router.example.org\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
            ("client", "/CN=petrel-edge", "subjectAltName=DNS:petrel-edge\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"),
        ] {
            let ext = try pki.dir.write("\(name).ext", extensions)
            try await run(["req"] + ec + ["-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", subject])
            try await run(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                           "-CAcreateserial", "-out", "\(d)/\(name).pem", "-days", "2", "-extfile", ext])
        }
        return pki
    }
}

extension InteropTests {
    /// `tls/` uplinks against a real Zenoh router listening on TLS, with certificates the test makes.
    @Suite("TLS and mutual TLS against a real Zenoh router", .serialized)
    struct TLSInteropTests {
        /// A router on TCP/UDP (for Zenoh's own client and the router view) and on TLS at another port.
        static func tlsRouter(_ pki: TestPKI, cert: String? = nil, key: String? = nil, mtls: Bool = false) async throws -> (ZenohRouter, Int) {
            let tlsPort = TestEnvironment.freePort()
            var args = ["--listen", "tls/127.0.0.1:\(tlsPort)", "--tls-certificate", cert ?? pki.serverCert, "--tls-private-key", key ?? pki.serverKey]
            if mtls { args += ["--tls-root-ca", pki.caCert, "--tls-enable-mtls"] }
            let router = try await ZenohRouter.start(extraArguments: args)
            return (router, tlsPort)
        }

        static func tls(_ configure: @escaping (inout TLSConfig) -> Void) -> (inout SessionConfig) -> Void {
            { configure(&$0.transport.tls) }
        }

        /// Opens a link directly and returns how it failed (nil if it opened).
        static func connectError(_ endpoint: String, _ tls: TLSConfig) async throws -> TransportError? {
            var config = TransportConfig()
            config.tls = tls
            config.openTimeoutMilliseconds = 5000
            do {
                let t = try await UnicastTransport.connect(to: try Endpoint(endpoint), config: config, group: MultiThreadedEventLoopGroup.singleton,
                                                           delegate: NullDelegate(), logger: Logger(label: "test"))
                await t.close()
                return nil
            } catch let e as TransportError {
                return e
            }
        }

        @Test("a tls/ session with the right CA opens, by host name and by IP address, and data flows both ways with Zenoh's client",
              arguments: ["localhost", "127.0.0.1"])
        func tlsExchangesData(host: String) async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let (router, tlsPort) = try await Self.tlsRouter(pki)
            defer { router.process.kill() }
            let session = try await openSession("tls/\(host):\(tlsPort)", configure: Self.tls { $0.rootCACertificate = pki.caCert })
            #expect(session.currentTransport?.endpoint.proto == .tls)
            let received = Collector<String>()
            _ = try await session.declareSubscriber("tls/from-python") { received.add(String(decoding: $0.payload, as: UTF8.self)) }
            let view = try await RouterView.open(router)
            defer { Task { await view.close() } }
            #expect(await view.subscriber("tls/from-python"))

            let pySub = try await PythonZenoh.startReady(router, ["sub", "tls/from-petrel", "--count", "1", "--timeout", "30"])
            defer { pySub.kill() }
            try await session.put("tls/from-petrel", Array("over tls".utf8))
            let line = await pySub.waitForLine(timeout: .seconds(20)) { $0.contains("\"payload\"") }
            #expect(line.flatMap(jsonObject)?["payload"] as? String == "over tls")

            _ = try await PythonZenoh.run(router, ["put", "tls/from-python", "back over tls"])
            #expect(await received.wait(for: 1) == ["back over tls"])
            await session.close()
        }

        @Test("a router whose certificate another CA signed is refused, saying so")
        func wrongCA() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let (router, tlsPort) = try await Self.tlsRouter(pki)
            defer { router.process.kill() }
            var tls = TLSConfig()
            tls.rootCACertificate = pki.otherCACert
            let e = try await Self.connectError("tls/localhost:\(tlsPort)", tls)
            guard case .tls(let why)? = e else {
                Issue.record("expected a TLS refusal, got \(String(describing: e))")
                return
            }
            #expect(why.contains("not signed by a trusted CA") && why.contains("tls/localhost:\(tlsPort)"), "\(why)")
        }

        @Test("a tls/ endpoint that is the router's plain TCP port fails the open with a TLS error, not a timeout")
        func tlsToPlainPort() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            var tls = TLSConfig()
            tls.rootCACertificate = pki.caCert
            // A TLS error, not the open timeout: the router drops the link on our ClientHello.
            let e = try await Self.connectError("tls/127.0.0.1:\(router.port)", tls)
            guard case .tls? = e else {
                Issue.record("expected a TLS failure, got \(String(describing: e))")
                return
            }
        }

        @Test("a router whose certificate names another host is refused; with verify_name_on_connect off it is accepted")
        func wrongHostName() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let (router, tlsPort) = try await Self.tlsRouter(pki, cert: pki.wrongHostCert, key: pki.wrongHostKey)
            defer { router.process.kill() }
            var tls = TLSConfig()
            tls.rootCACertificate = pki.caCert
            for host in ["localhost", "127.0.0.1"] {
                let e = try await Self.connectError("tls/\(host):\(tlsPort)", tls)
                guard case .tls(let why)? = e else {
                    Issue.record("expected a TLS refusal for \(host), got \(String(describing: e))")
                    continue
                }
                #expect(why.contains("does not name '\(host)'"), "\(why)")
            }
            tls.verifyNameOnConnect = false
            #expect(try await Self.connectError("tls/localhost:\(tlsPort)", tls) == nil, "the chain is trusted; only the name was wrong")
        }

        @Test("mutual TLS: a client with a certificate from the router's CA opens and exchanges data; without one it is refused")
        func mutualTLS() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let (router, tlsPort) = try await Self.tlsRouter(pki, mtls: true)
            defer { router.process.kill() }
            var tls = TLSConfig()
            tls.rootCACertificate = pki.caCert
            tls.enableMTLS = true
            tls.connectCertificate = pki.clientCert
            tls.connectPrivateKey = pki.clientKey
            let session = try await openSession("tls/localhost:\(tlsPort)", configure: { $0.transport.tls = tls })
            let pySub = try await PythonZenoh.startReady(router, ["sub", "mtls/**", "--count", "1", "--timeout", "30"])
            defer { pySub.kill() }
            try await session.put("mtls/a", Array("mutual".utf8))
            let line = await pySub.waitForLine(timeout: .seconds(20)) { $0.contains("\"payload\"") }
            #expect(line.flatMap(jsonObject)?["payload"] as? String == "mutual")
            await session.close()

            var noCert = TLSConfig()
            noCert.rootCACertificate = pki.caCert
            let e = try await Self.connectError("tls/localhost:\(tlsPort)", noCert)
            guard case .tls(let why)? = e else {
                Issue.record("expected a TLS refusal without a client certificate, got \(String(describing: e))")
                return
            }
            #expect(why.contains("refused the TLS handshake"), "\(why)")
        }

        @Test("petrel put reaches the router over tls/ with the CA from its -c file")
        func toolOverTLS() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let (router, tlsPort) = try await Self.tlsRouter(pki)
            defer { router.process.kill() }
            let pySub = try await PythonZenoh.startReady(router, ["sub", "tool/tls", "--count", "1", "--timeout", "30"])
            defer { pySub.kill() }
            let conf = try pki.dir.write("tool.json5", "{ transport: { link: { tls: { root_ca_certificate: '\(pki.caCert)' } } } }")
            let put = try await PetrelTool.run(["put", "-c", conf, "-e", "tls/localhost:\(tlsPort)", "tool/tls", "via the tool"])
            #expect(put.status == 0, "\(put.err)")
            let line = await pySub.waitForLine(timeout: .seconds(20)) { $0.contains("\"payload\"") }
            #expect(line.flatMap(jsonObject)?["payload"] as? String == "via the tool")
            // Without the CA the tool says why it could not connect.
            let refused = try await PetrelTool.run(["put", "-e", "tls/localhost:\(tlsPort)", "tool/tls", "x", "--timeout", "2"])
            #expect(refused.status != 0)
            #expect(refused.err.joined().contains("not signed by a trusted CA"), "\(refused.err)")
        }

        @Test("the agent's tls/ listener accepts Zenoh's client and a Petrel device that trust its CA, and forwards their data")
        func agentTLSListener() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let listen = "tls/127.0.0.1:\(TestEnvironment.freePort())"
            let config = try pki.dir.write("agent.json5", """
                { connect: { endpoints: ["\(router.tcp)"] }, listen: { endpoints: ["\(listen)"] },
                  transport: { link: { tls: { listen_certificate: "\(pki.serverCert)", listen_private_key: "\(pki.serverKey)" } } } }
                """)
            let agent = try await AgentAuthInteropTests.startAgent(config: config, waitFor: ["session open", "listening"])
            defer { agent.kill() }
            let watcher = try await openSession(router.tcp)
            let upstream = Collector<String>()
            _ = try await watcher.declareSubscriber("dev/**") { upstream.add("\($0.key)=\(String(decoding: $0.payload, as: UTF8.self))") }

            let device = try await openSession(listen, configure: Self.tls { $0.rootCACertificate = pki.caCert })
            let crossed = await eventually(timeout: .seconds(20)) {
                try? await device.put("dev/petrel", Array("tls-in".utf8))
                return await upstream.wait(for: 1, timeout: .milliseconds(200)).contains("dev/petrel=tls-in")
            }
            #expect(crossed, "\(upstream.values)")
            await device.close()
            let py = try PythonZenoh.startAt(listen, ["--set", "transport/link/tls/root_ca_certificate=\"\(pki.caCert)\"", "put", "dev/python", "tls-in"])
            #expect(await py.waitForExit() == 0, "\(py.errorOutput.suffix(3))")
            #expect(await eventually { upstream.values.contains("dev/python=tls-in") }, "\(upstream.values)")
            await watcher.close()
        }

        @Test("the agent's tls/ listener with enable_mtls accepts Zenoh's client with a certificate from its CA and refuses a device without one")
        func agentMutualTLSListener() async throws {
            let pki = try await TestPKI.make()
            defer { pki.dir.remove() }
            let router = try await ZenohRouter.start()
            defer { router.process.kill() }
            let listen = "tls/127.0.0.1:\(TestEnvironment.freePort())"
            let config = try pki.dir.write("agent.json5", """
                { connect: { endpoints: ["\(router.tcp)"] }, listen: { endpoints: ["\(listen)"] },
                  transport: { link: { tls: { listen_certificate: "\(pki.serverCert)", listen_private_key: "\(pki.serverKey)",
                                              root_ca_certificate: "\(pki.caCert)", enable_mtls: true } } } }
                """)
            let agent = try await AgentAuthInteropTests.startAgent(config: config, waitFor: ["session open", "listening"])
            defer { agent.kill() }
            let watcher = try await openSession(router.tcp)
            let upstream = Collector<String>()
            _ = try await watcher.declareSubscriber("dev/**") { upstream.add("\($0.key)=\(String(decoding: $0.payload, as: UTF8.self))") }
            // Zenoh's client presents its certificate; its put may race the
            // agent's view of the subscriber, so it puts a few times.
            for _ in 0..<3 where !upstream.values.contains("dev/mtls=with-cert") {
                let py = try PythonZenoh.startAt(listen, ["--set", "transport/link/tls/root_ca_certificate=\"\(pki.caCert)\"",
                                                          "--set", "transport/link/tls/enable_mtls=true",
                                                          "--set", "transport/link/tls/connect_certificate=\"\(pki.clientCert)\"",
                                                          "--set", "transport/link/tls/connect_private_key=\"\(pki.clientKey)\"",
                                                          "put", "dev/mtls", "with-cert", "--count", "20"])
                #expect(await py.waitForExit() == 0, "\(py.errorOutput.suffix(3))")
                _ = await eventually(timeout: .seconds(3)) { upstream.values.contains("dev/mtls=with-cert") }
            }
            #expect(upstream.values.contains("dev/mtls=with-cert"), "\(upstream.values)")

            var noCert = TLSConfig()
            noCert.rootCACertificate = pki.caCert
            let e = try await Self.connectError(listen, noCert)
            #expect(e != nil, "a device without a certificate opened a session")
            await watcher.close()
        }

        @Test("TLS settings that cannot work are errors naming the setting, before any connection")
        func badSettings() async throws {
            var tls = TLSConfig()
            tls.rootCACertificate = "/nonexistent/ca.pem"
            let missing = try await Self.connectError("tls/localhost:1", tls)
            guard case .tls(let text)? = missing else {
                Issue.record("got \(String(describing: missing))")
                return
            }
            #expect(text.hasPrefix("cannot load transport.link.tls.root_ca_certificate '/nonexistent/ca.pem'"), "\(text)")
            var mtls = TLSConfig()
            mtls.enableMTLS = true
            let e = try await Self.connectError("tls/localhost:1", mtls)
            guard case .tls(let why)? = e else {
                Issue.record("got \(String(describing: e))")
                return
            }
            #expect(why.contains("connect_certificate"))
        }

    }
}
