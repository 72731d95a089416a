// The Auth extension (`43`) of INIT and OPEN (zenoh-wire.md §6.1, §6.2):
// its bytes are themselves a chain of extensions, one per authentication
// method, whose id is the method (1 public key, 2 user/password). Unlike a
// message's extensions the chain has no header in front: the first method's
// extension starts the bytes, and each one's Z says another follows. No
// method → no Auth extension at all (zenoh io/zenoh-transport
// `unicast/establishment/ext/auth/mod.rs`).
//
// User/password (`auth/usrpwd.rs`), all four non-mandatory:
//   InitSyn  unit `02`                      "I have credentials"
//   InitAck  zint `22` nonce (u64)          the challenge
//   OpenSyn  bytes `42` [user | hmac]       each a zint-length slice; hmac =
//                                           HMAC-SHA3-256(key: nonce as 8 LE bytes, data: password)
//   OpenAck  unit `02`                      accepted

/// The methods carried in one Auth extension, in wire order.
public struct AuthExtension: Equatable, Sendable {
    /// Method ids, the low 4 bits of each inner extension's header.
    public enum Method {
        public static let publicKey: UInt8 = 1
        public static let userPassword: UInt8 = 2
    }

    public var methods: [ZExtension]

    public init(_ methods: [ZExtension] = []) {
        self.methods = methods
    }

    /// The first inner extension of `method` (matched on the id bits only, as
    /// Zenoh does, so the encoding is the caller's to check).
    public func method(_ id: UInt8) -> ZExtension? {
        methods.first { $0.id == id & 0x0F }
    }

    /// Writes the chain; nothing at all for no methods.
    public func encode(into w: inout WireWriter) throws(EncodeError) {
        for (i, m) in methods.enumerated() {
            try w.writeByte(m.key | (i < methods.count - 1 ? Header.z : 0))
            try m.encodeBody(into: &w)
        }
    }

    /// The bytes of an Auth extension; nil for no methods (the extension is then left out).
    public func encoded() -> ZBytes? {
        guard !methods.isEmpty else { return nil }
        do throws(EncodeError) {
            return try [UInt8].encoding(capacity: 1 << 12) { (w: inout WireWriter) throws(EncodeError) in try encode(into: &w) }[...]
        } catch {
            return nil
        }
    }

    /// Reads a chain; empty bytes (or an absent extension, passed as nil) are no methods.
    /// Mandatory inner extensions are kept: which methods are understood is the
    /// authenticator's decision, not the codec's.
    public static func decode(_ bytes: ZBytes?) throws(DecodeError) -> AuthExtension {
        guard let bytes, !bytes.isEmpty else { return AuthExtension() }
        var r = WireReader(bytes)
        var methods: [ZExtension] = []
        var more = true
        while more {
            let e = try r.readExtension("AUTH.method")
            methods.append(e.asExtension)
            more = e.more
        }
        guard r.isAtEnd else { throw DecodeError(.invalidValue, "AUTH trailing bytes", value: UInt64(r.remaining)) }
        return AuthExtension(methods)
    }
}

/// The user/password method's OpenSyn body: who, and the proof that they
/// know the password for the nonce of this handshake.
public struct UsrPwdOpenSyn: Equatable, Sendable {
    public var user: [UInt8]
    public var hmac: [UInt8]

    public init(user: [UInt8], hmac: [UInt8]) {
        self.user = user
        self.hmac = hmac
    }

    public func encode(into w: inout WireWriter) throws(EncodeError) {
        try w.writeSlice(user[...])
        try w.writeSlice(hmac[...])
    }

    public func encoded() throws(EncodeError) -> ZBytes {
        try [UInt8].encoding(capacity: user.count + hmac.count + 20) { (w: inout WireWriter) throws(EncodeError) in try encode(into: &w) }[...]
    }

    /// Reads both slices; bytes after them are ignored, as Zenoh's reader does.
    public static func decode(from r: inout WireReader) throws(DecodeError) -> UsrPwdOpenSyn {
        // A user name or a 32-byte code: anything near 64 KiB is garbage.
        let user = try r.readSlice("USRPWD.user", maxLength: 1 << 16)
        let hmac = try r.readSlice("USRPWD.hmac", maxLength: 1 << 16)
        return UsrPwdOpenSyn(user: Array(user), hmac: Array(hmac))
    }
}
