import NIOCore
import PetrelWire
import Testing
@testable import PetrelTransport

/// The hash and the code under Zenoh's user/password proof, against
/// FIPS 202 and Python's `hashlib`/`hmac` (sha3_256), which computed every
/// expected value below.
@Suite("SHA3-256 and HMAC-SHA3-256")
struct SHA3Tests {
    @Test("SHA3-256 of the empty string, 'abc', one block less one, one block, and several blocks")
    func digests() {
        #expect(SHA3_256.hash([UInt8]()).hex == "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
        #expect(SHA3_256.hash(Array("abc".utf8)).hex == "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532")
        #expect(SHA3_256.hash([UInt8](repeating: 0x61, count: 135)).hex == "8094bb53c44cfb1e67b7c30447f9a1c33696d2463ecc1d9c92538913392843c9")
        #expect(SHA3_256.hash([UInt8](repeating: 0x61, count: 136)).hex == "3fc5559f14db8e453a0a3091edbd2bc25e11528d81c66fa570a4efdcc2695ee1")
        let many = Array((0..<3).flatMap { _ in (0...255).map { UInt8($0) } })
        #expect(SHA3_256.hash(many).hex == "c043b2b15d405c9f4cd92fdaef420eba6201d328fb34ec0e2c16e4981b9e4b39")
    }

    @Test("fed in pieces, the hash is the same as in one piece")
    func incremental() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var h = SHA3_256()
        var i = 0
        for step in [1, 135, 2, 136, 137, 0, 300] where i < data.count {
            h.update(data[i..<min(i + step, data.count)])
            i += step
        }
        h.update(data[min(i, data.count)...])
        #expect(h.finalize() == SHA3_256.hash(data))
    }

    @Test("HMAC-SHA3-256 with a nonce key (the usrpwd proof), a key longer than a block, and one exactly a block")
    func codes() {
        #expect(UsrPwdProof.code(nonce: 0x0123_4567_89AB_CDEF, password: Array("secret1".utf8)).hex
                == "e6eb9df34eb803fbadc79a4f8dffa1ca08598a526af6a16ecfb66ef19b4dad10")
        #expect(HMACSHA3_256.authenticationCode(key: [UInt8](repeating: 0x6B, count: 200), data: Array("data".utf8)).hex
                == "5e2cc697c8296e59f4328b1bc437bd4b7710b829d7a500fab14b88925bfcd595")
        #expect(HMACSHA3_256.authenticationCode(key: [UInt8](repeating: 0x6B, count: 136), data: Array("data".utf8)).hex
                == "2c66a927dd720789e71a760c673c2c926e4e1e3d1ba53b23d38ec0d7e795b82b")
    }

    @Test("codes compare equal only when every byte and the length match")
    func comparison() {
        let a: [UInt8] = [1, 2, 3]
        #expect(HMACSHA3_256.equal(a, [1, 2, 3]))
        #expect(!HMACSHA3_256.equal(a, [1, 2, 4]))
        #expect(!HMACSHA3_256.equal(a, [1, 2]))
        #expect(!HMACSHA3_256.equal(a, []))
    }
}

@Suite("User/password credentials and dictionaries")
struct UsrPwdCredentialTests {
    @Test("no description of the credentials shows the password")
    func redacted() {
        let c = UsrPwdCredentials(user: "edge-7", password: "hunter2-Secret")
        var dumped = ""
        dump(c, to: &dumped)
        var config = TransportConfig()
        config.usrpwd = c
        var configDump = ""
        dump(config, to: &configDump)
        for text in ["\(c)", String(reflecting: c), dumped, "\(config)", String(reflecting: config), configDump] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect("\(c)".contains("edge-7"))
    }

    @Test("a dictionary file is read as Zenoh reads it: user:password per line, trimmed, blank lines skipped")
    func dictionary() throws {
        let d = try UsrPwdDictionary(parsing: "alice:secret1\r\n\n  bob : pw:with:colons \n\t\n")
        #expect(d.users == ["alice", "bob"])
        #expect(d.password(of: "alice") == Array("secret1".utf8))
        #expect(d.password(of: "bob") == Array("pw:with:colons".utf8))
        #expect(!"\(d)".contains("secret1"))
    }

    @Test("a bad dictionary line is refused naming its line and never its password")
    func badDictionary() {
        #expect(throws: UsrPwdDictionaryError(line: 2, reason: "expected user:password")) { try UsrPwdDictionary(parsing: "a:b\nnocolon\n") }
        #expect(throws: UsrPwdDictionaryError(line: 1, reason: "empty user name")) { try UsrPwdDictionary(parsing: " :topsecret") }
        #expect(throws: UsrPwdDictionaryError(line: 3, reason: "empty password for user 'carol'")) { try UsrPwdDictionary(parsing: "a:b\n\ncarol: ") }
        #expect(throws: UsrPwdDictionaryError(line: 0, reason: "no user:password line")) { try UsrPwdDictionary(parsing: "\n\n") }
    }
}

/// The Auth extension inside the handshake, against a router and a device played by the test.
@Suite("User/password in the handshake")
struct UsrPwdHandshakeTests {
    static let nonce: UInt64 = 0x0123_4567_89AB_CDEF

    static func clientConfig(password: String = "secret1") -> TransportConfig {
        var c = TransportConfig()
        c.usrpwd = UsrPwdCredentials(user: "alice", password: password)
        return c
    }

    static func routerAck(nonce: UInt64? = UsrPwdHandshakeTests.nonce) -> InitAck {
        var ack = InitAck(whatAmI: .router, zid: LinkUnderTest.routerZID, cookie: [1, 2, 3][...])
        if let nonce { ack.auth = [0x22] + zint(nonce) }
        return ack
    }

    static func zint(_ v: UInt64) -> ZBytes {
        (try? [UInt8].encoding { (w: inout WireWriter) throws(EncodeError) in try w.writeZInt(v) })![...]
    }

    @Test("the client offers usrpwd in its InitSyn and answers the nonce with its user and the HMAC of its password")
    func connectorProves() throws {
        let link = try LinkUnderTest(role: .connector, config: Self.clientConfig())
        try link.connect()
        guard case .initSyn(let syn) = try link.sentTransportMessages().first else {
            Issue.record("no InitSyn")
            return
        }
        #expect(syn.auth.map(Array.init) == [0x02], "a unit extension id 2, alone in the Auth extension")
        try link.peerSends(.initAck(Self.routerAck()))
        guard case .openSyn(let open) = try link.sentTransportMessages().first else {
            Issue.record("no OpenSyn")
            return
        }
        // bytes ext id 2, 39 bytes: user "alice" and the 32-byte code, each with its length.
        let expected = [0x42, 0x27, 0x05] + Array("alice".utf8) + [0x20]
            + UsrPwdProof.code(nonce: Self.nonce, password: Array("secret1".utf8))
        #expect(open.auth.map(Array.init) == expected)
        var ack = OpenAck(leaseMilliseconds: 10_000, initialSN: 1)
        ack.auth = [0x02]
        try link.peerSends(.openAck(ack))
        #expect(link.transport != nil)
        try link.finish()
    }

    @Test("a router that closes the link after the OpenSyn refused the credentials: the error says so, names the endpoint, not the password")
    func connectorRefused() throws {
        let link = try LinkUnderTest(role: .connector, config: Self.clientConfig(password: "s3cr3t-pw"))
        try link.connect()
        _ = try link.sentTransportMessages()
        try link.peerSends(.initAck(Self.routerAck()))
        _ = try link.sentTransportMessages()
        try link.peerSends(.close(Close(reason: Close.generic)))
        guard case .authentication(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure))")
            return
        }
        #expect(why.contains("tcp/127.0.0.1:7447") && why.contains("alice") && why.contains("wrong user name or password"))
        #expect(!why.contains("s3cr3t"))
        #expect(!link.logs.values.joined().contains("s3cr3t"))
        #expect(!link.channel.isActive)
        try link.finish()
    }

    @Test("a router without usrpwd sends no nonce: the client stops, saying the router does not use it")
    func connectorRouterWithoutAuth() throws {
        let link = try LinkUnderTest(role: .connector, config: Self.clientConfig())
        try link.connect()
        _ = try link.sentTransportMessages()
        try link.peerSends(.initAck(Self.routerAck(nonce: nil)))
        guard case .authentication(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure))")
            return
        }
        #expect(why.contains("does not use user/password"))
        try link.finish()
    }

    @Test("an OpenAck that does not confirm usrpwd does not open the session")
    func connectorUnconfirmed() throws {
        let link = try LinkUnderTest(role: .connector, config: Self.clientConfig())
        try link.connect()
        _ = try link.sentTransportMessages()
        try link.peerSends(.initAck(Self.routerAck()))
        _ = try link.sentTransportMessages()
        try link.peerSends(.openAck(OpenAck(leaseMilliseconds: 10_000, initialSN: 1)))
        guard case .authentication = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure))")
            return
        }
        #expect(link.transport == nil)
        try link.finish()
    }

    @Test("a client without credentials closed at its InitSyn hears that the router may require them")
    func connectorWithoutCredentialsClosed() throws {
        let link = try LinkUnderTest(role: .connector)
        try link.connect()
        #expect(try link.sentTransportMessages().first.map { if case .initSyn(let s) = $0 { s.auth == nil } else { false } } == true)
        try link.peerSends(.close(Close(reason: Close.generic)))
        guard case .handshake(let why) = try #require(link.failure) else {
            Issue.record("failed with \(String(describing: link.failure))")
            return
        }
        #expect(why.contains("transport.auth.usrpwd"))
        try link.finish()
    }

    // MARK: Listener

    static func gatewayConfig() -> TransportConfig {
        var c = TransportConfig()
        c.usrpwdDictionary = UsrPwdDictionary(["alice": "secret1", "bob": "pw2"])
        return c
    }

    static func deviceSyn(auth: Bool = true) -> InitSyn {
        var syn = InitSyn(whatAmI: .client, zid: TransportConfig().zid)
        if auth { syn.auth = [0x02] }
        return syn
    }

    /// The device's OpenSyn for `ack`, proving `user`/`password` on its nonce.
    static func deviceOpen(_ ack: InitAck, user: String, password: String) throws -> OpenSyn {
        let auth = try AuthExtension.decode(ack.auth)
        guard case .zint(let nonce)? = auth.method(AuthExtension.Method.userPassword)?.body else {
            Issue.record("no nonce in the InitAck")
            return OpenSyn(leaseMilliseconds: 10_000, initialSN: 1, cookie: ack.cookie)
        }
        let proof = try UsrPwdOpenSyn(user: Array(user.utf8), hmac: UsrPwdProof.code(nonce: nonce, password: Array(password.utf8))).encoded()
        var open = OpenSyn(leaseMilliseconds: 10_000, initialSN: 1, cookie: ack.cookie)
        open.auth = AuthExtension([ZExtension(id: 2, body: .bytes(proof))]).encoded()
        return open
    }

    @Test("a listener with a dictionary challenges with a fresh nonce and opens for a right proof, confirming usrpwd")
    func listenerAccepts() throws {
        var nonces: Set<UInt64> = []
        for _ in 0..<2 {
            let link = try LinkUnderTest(role: .listener, config: Self.gatewayConfig())
            try link.connect()
            try link.peerSends(.initSyn(Self.deviceSyn()))
            guard case .initAck(let ack) = try link.sentTransportMessages().first else {
                Issue.record("no InitAck")
                return
            }
            #expect(ack.auth?.first == 0x22, "a zint extension id 2")
            if case .zint(let n)? = try AuthExtension.decode(ack.auth).method(2)?.body { nonces.insert(n) }
            try link.peerSends(.openSyn(try Self.deviceOpen(ack, user: "bob", password: "pw2")))
            guard case .openAck(let openAck) = try link.sentTransportMessages().first else {
                Issue.record("no OpenAck: \(String(describing: link.failure))")
                return
            }
            #expect(openAck.auth.map(Array.init) == [0x02])
            #expect(link.transport?.parameters.authenticatedUser == "bob")
            #expect(link.logs.values.contains { $0.contains("session open") && $0.contains("user=bob") })
            try link.finish()
        }
        #expect(nonces.count == 2, "each handshake has its own nonce")
    }

    @Test("a wrong password, an unknown user or no usrpwd at all is refused with Close(generic), as a Zenoh router does")
    func listenerRefuses() throws {
        for (user, password, offer, expected) in [("alice", "wrong", true, "wrong password for user 'alice'"),
                                                  ("mallory", "secret1", true, "not a known user ('mallory')"),
                                                  ("alice", "secret1", false, "did not offer user/password")] {
            let link = try LinkUnderTest(role: .listener, config: Self.gatewayConfig())
            try link.connect()
            try link.peerSends(.initSyn(Self.deviceSyn(auth: offer)))
            if offer {
                guard case .initAck(let ack) = try link.sentTransportMessages().first else {
                    Issue.record("no InitAck")
                    return
                }
                try link.peerSends(.openSyn(try Self.deviceOpen(ack, user: user, password: password)))
            }
            #expect(try link.sentTransportMessages() == [.close(Close(reason: Close.generic))])
            guard case .authentication(let why) = try #require(link.failure) else {
                Issue.record("failed with \(String(describing: link.failure))")
                return
            }
            #expect(why.contains(expected), "\(why)")
            #expect(!why.contains("secret1") && !why.contains("wrong\""))
            #expect(link.transport == nil && !link.channel.isActive)
            try link.finish()
        }
    }

    @Test("a listener without a dictionary opens for a device that offers usrpwd anyway, without confirming it")
    func listenerWithoutDictionary() throws {
        let link = try LinkUnderTest(role: .listener)
        try link.connect()
        try link.peerSends(.initSyn(Self.deviceSyn()))
        guard case .initAck(let ack) = try link.sentTransportMessages().first else {
            Issue.record("no InitAck")
            return
        }
        #expect(ack.auth == nil)
        try link.peerSends(.openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 1, cookie: ack.cookie)))
        #expect(link.transport != nil)
        #expect(link.transport?.parameters.authenticatedUser == nil)
        try link.finish()
    }
}

extension Array where Element == UInt8 {
    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
