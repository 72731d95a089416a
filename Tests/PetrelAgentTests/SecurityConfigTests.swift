import Foundation
import PetrelTransport
import Testing
@testable import PetrelAgent

/// `transport.auth.usrpwd` and `transport.link.tls`, under Zenoh's names.
@Suite("Agent configuration: authentication and TLS")
struct SecurityConfigTests {
    static func tempFile(_ text: String) throws -> String {
        let p = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-security-\(UUID().uuidString)").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test("Zenoh's usrpwd and tls keys reach the uplink's and the listeners' transport settings")
    func mapping() throws {
        let dict = try Self.tempFile("dev1:pw-one\ndev2:pw-two\n")
        defer { try? FileManager.default.removeItem(atPath: dict) }
        let c = try AgentConfig.parse("""
            { connect: { endpoints: ["tls/router.example.org:7447"] },
              transport: { auth: { usrpwd: { user: "edge-7", password: "Pa55-word", dictionary_file: "\(dict)" } },
                           link: { tls: { root_ca_certificate: "/etc/petrel/ca.pem", connect_certificate: "/etc/petrel/c.pem",
                                          connect_private_key: "/etc/petrel/c.key", enable_mtls: true, verify_name_on_connect: false,
                                          listen_certificate: "/etc/petrel/s.pem", listen_private_key: "/etc/petrel/s.key" } } } }
            """, source: "sec.json5")
        let t = c.sessionConfig().transport
        #expect(t.usrpwd == UsrPwdCredentials(user: "edge-7", password: "Pa55-word"))
        #expect(t.usrpwdDictionary?.users == ["dev1", "dev2"])
        #expect(t.tls.rootCACertificate == "/etc/petrel/ca.pem")
        #expect(t.tls.connectCertificate == "/etc/petrel/c.pem" && t.tls.connectPrivateKey == "/etc/petrel/c.key")
        #expect(t.tls.listenCertificate == "/etc/petrel/s.pem" && t.tls.listenPrivateKey == "/etc/petrel/s.key")
        #expect(t.tls.enableMTLS && !t.tls.verifyNameOnConnect)
        #expect(c.connect.endpoints.first?.proto == .tls)
        // Printing the configuration (a debug log, a crash report) never shows the password.
        #expect(!"\(c)".contains("Pa55-word") && !String(reflecting: c).contains("Pa55-word"))
        #expect(!"\(c)".contains("pw-one"))
        // Defaults: no credentials, name verification on.
        let d = AgentConfig.embeddedDefault.sessionConfig().transport
        #expect(d.usrpwd == nil && d.usrpwdDictionary == nil && d.tls.verifyNameOnConnect && !d.tls.enableMTLS)
    }

    @Test("mistakes name the key and never echo a password", arguments: [
        ("{ transport: { auth: { usrpwd: { user: 'edge' } } } }", "transport.auth.usrpwd.password", "missing required key"),
        ("{ transport: { auth: { usrpwd: { password: 'Hidden-1' } } } }", "transport.auth.usrpwd.user", "missing required key"),
        ("{ transport: { auth: { usrpwd: { user: 'edge', password: 4242424 } } } }", "transport.auth.usrpwd.password", "quote the password"),
        ("{ transport: { auth: { usrpwd: { user: 'edge', password: '' } } } }", "transport.auth.usrpwd.password", "must not be empty"),
        ("{ transport: { auth: { usrpwd: { dictionary_file: '/nonexistent/users' } } } }", "transport.auth.usrpwd.dictionary_file", "cannot be read"),
        ("{ transport: { auth: { usrpwd: { usr: 'edge' } } } }", "transport.auth.usrpwd.usr", "unknown"),
        ("{ transport: { link: { tls: { connect_certificate: '/c.pem' } } } }", "transport.link.tls.connect_private_key", "go together"),
        ("{ transport: { link: { tls: { enable_mtls: 'yes' } } } }", "transport.link.tls.enable_mtls", "expected"),
    ])
    func mistakes(text: String, path: String, message: String) {
        let errors = AgentConfig.validate(text, source: "bad.json5")
        let e = errors.first
        #expect(e?.path == path, "\(errors)")
        #expect(e?.message.lowercased().contains(message.lowercased()) == true, "\(String(describing: e))")
        for error in errors {
            #expect(!error.description.contains("Hidden-1") && !error.description.contains("4242424"))
        }
    }

    @Test("a bad dictionary line is an error naming the key, the file and the line, not a password")
    func badDictionary() throws {
        let dict = try Self.tempFile("dev1:Secret-A\ndev2\n")
        defer { try? FileManager.default.removeItem(atPath: dict) }
        let errors = AgentConfig.validate("{ transport: { auth: { usrpwd: { dictionary_file: '\(dict)' } } } }", source: "d.json5")
        #expect(errors.map(\.path) == ["transport.auth.usrpwd.dictionary_file"])
        #expect(errors.first?.message == "'\(dict)' line 2: expected user:password")
        #expect(!errors.description.contains("Secret-A"))
    }

    @Test("--check-config finds TLS files that do not exist and tls/ endpoints without the certificates they need")
    func systemCheck() throws {
        let c = try AgentConfig.parse("""
            { connect: { endpoints: ["tls/10.0.0.1:7447"] }, listen: { endpoints: ["tls/0.0.0.0:7447"] },
              transport: { link: { tls: { root_ca_certificate: "/nonexistent/ca.pem", enable_mtls: true } } } }
            """, source: "tls.json5")
        let paths = c.checkSystem().map(\.path)
        #expect(paths.contains("transport.link.tls.root_ca_certificate"))
        #expect(paths.contains("transport.link.tls.enable_mtls"))
        #expect(paths.contains("listen.endpoints[0]"))
    }
}
