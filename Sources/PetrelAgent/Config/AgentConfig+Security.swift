import PetrelTransport

/// `transport.auth.usrpwd` and `transport.link.tls`, under Zenoh's names
/// (DEFAULT_CONFIG.json5). Messages name the key, never a password.
extension AgentConfig {
    static let tlsKeys = ["root_ca_certificate", "connect_certificate", "connect_private_key", "listen_certificate",
                          "listen_private_key", "enable_mtls", "verify_name_on_connect"]

    mutating func readUsrPwd(_ u: ConfigObject, _ v: ConfigValidator) {
        let user = u.read("user", v.string)
        // Not `v.string`: a password written unquoted (a number) must not be echoed in the error.
        let password: String? = u.read("password") { value, path in
            guard case .string(let s) = value.kind else {
                v.report(path, "expected a string (quote the password)", at: value.offset)
                return nil
            }
            return s
        }
        switch (user, password) {
        case (let user?, let password?):
            if password.isEmpty {
                v.report(u.childPath("password"), "must not be empty", at: u.offset)
            } else {
                transport.usrpwd = UsrPwdCredentials(user: user, password: password)
            }
        case (_?, nil) where !u.has("password"):
            v.reportMissing(u.childPath("password"), "missing required key: the password that goes with user", at: u.offset)
        case (nil, _?) where !u.has("user"):
            v.reportMissing(u.childPath("user"), "missing required key: the user name that goes with password", at: u.offset)
        default:
            break
        }
        if let raw = u.value("dictionary_file"), let path = v.string(raw, u.childPath("dictionary_file")) {
            readDictionary(path, raw, u.childPath("dictionary_file"), v)
        }
    }

    /// Reads the dictionary now, so a missing file or a bad line is a
    /// configuration error naming the key (Zenoh refuses to start the same way).
    private mutating func readDictionary(_ path: String, _ value: ConfigValue, _ key: String, _ v: ConfigValidator) {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path)
        } catch {
            v.report(key, "'\(path)' cannot be read: \(error)", at: value.offset)
            return
        }
        do {
            transport.usrpwdDictionary = try UsrPwdDictionary(parsing: String(decoding: bytes, as: UTF8.self))
            transport.usrpwdDictionaryFile = path
        } catch {
            v.report(key, "'\(path)' \(error.line > 0 ? "line \(error.line): " : "")\(error.reason)", at: value.offset)
        }
    }

    mutating func readTLS(_ t: ConfigObject, _ v: ConfigValidator) {
        transport.tls.rootCACertificate = t.read("root_ca_certificate", v.string)
        transport.tls.connectCertificate = t.read("connect_certificate", v.string)
        transport.tls.connectPrivateKey = t.read("connect_private_key", v.string)
        transport.tls.listenCertificate = t.read("listen_certificate", v.string)
        transport.tls.listenPrivateKey = t.read("listen_private_key", v.string)
        transport.tls.enableMTLS = t.read("enable_mtls", v.bool) ?? transport.tls.enableMTLS
        transport.tls.verifyNameOnConnect = t.read("verify_name_on_connect", v.bool) ?? transport.tls.verifyNameOnConnect
        for (a, b) in [("connect_certificate", "connect_private_key"), ("listen_certificate", "listen_private_key")] {
            if t.has(a) != t.has(b) {
                let missing = t.has(a) ? b : a
                v.reportMissing(t.childPath(missing), "missing required key: \(a) and \(b) go together", at: t.offset)
            }
        }
    }

    /// What a valid file can still get wrong about TLS on this machine: files
    /// that do not exist or cannot be read, `tls/` endpoints without the
    /// certificates they need. Part of `checkSystem`.
    func checkTLS() -> [ConfigError] {
        var problems: [ConfigError] = []
        let t = transport.tls
        for (key, file) in [("root_ca_certificate", t.rootCACertificate), ("connect_certificate", t.connectCertificate),
                            ("connect_private_key", t.connectPrivateKey), ("listen_certificate", t.listenCertificate),
                            ("listen_private_key", t.listenPrivateKey)] {
            guard let file else { continue }
            if !FileSystem.exists(file) {
                problems.append(ConfigError(path: "transport.link.tls.\(key)", message: "'\(file)' does not exist"))
            } else if !FileSystem.isReadable(file) {
                problems.append(ConfigError(path: "transport.link.tls.\(key)", message: "'\(file)' cannot be read by this user"))
            }
        }
        if t.enableMTLS, connect.endpoints.contains(where: { $0.proto == .tls }), t.connectCertificate == nil {
            problems.append(ConfigError(path: "transport.link.tls.enable_mtls",
                                        message: "mutual TLS needs connect_certificate and connect_private_key for the tls/ uplink"))
        }
        for (n, e) in listen.enumerated() where e.proto == .tls && t.listenCertificate == nil {
            problems.append(ConfigError(path: "listen.endpoints[\(n)]",
                                        message: "a tls/ listener needs transport.link.tls.listen_certificate and listen_private_key"))
        }
        return problems
    }
}
