import NIOCore
import PetrelWire

/// User/password authentication inside the Init/Open handshake (Zenoh's
/// `usrpwd` method of the Auth extension; see AuthExtension.swift for the
/// bytes). The connector proves `config.usrpwd`; a listener with
/// `config.usrpwdDictionary` challenges every device and accepts only the
/// users in it. Errors name the endpoint and the user, never the password.
extension HandshakeHandler {
    // MARK: Connector

    /// The OpenSyn's Auth extension: our user and the HMAC of our password
    /// keyed with the InitAck's nonce. Nil when we have no credentials.
    func proveCredentials(_ ack: InitAck) throws -> ZBytes? {
        guard let credentials = config.usrpwd else { return nil }
        let auth: AuthExtension
        do throws(DecodeError) { auth = try AuthExtension.decode(ack.auth) } catch {
            throw TransportError.malformed("the router's Auth extension: \(error)")
        }
        guard let method = auth.method(AuthExtension.Method.userPassword), case .zint(let nonce) = method.body else {
            throw TransportError.authentication(
                "the router at \(endpoint) did not send a user/password challenge: it does not use user/password authentication (remove transport.auth.usrpwd, or enable it on the router)")
        }
        let proof = UsrPwdOpenSyn(user: Array(credentials.user.utf8),
                                  hmac: UsrPwdProof.code(nonce: nonce, password: credentials.password))
        do throws(EncodeError) {
            let body = try proof.encoded()
            return AuthExtension([ZExtension(id: AuthExtension.Method.userPassword, body: .bytes(body))]).encoded()
        } catch {
            throw TransportError.authentication("the user name '\(credentials.user)' is too long to send")
        }
    }

    /// The OpenAck must confirm the method we used (Zenoh's opener refuses it otherwise).
    func checkAccepted(_ ack: OpenAck) throws {
        guard config.usrpwd != nil else { return }
        let auth: AuthExtension
        do throws(DecodeError) { auth = try AuthExtension.decode(ack.auth) } catch {
            throw TransportError.malformed("the router's Auth extension: \(error)")
        }
        guard auth.method(AuthExtension.Method.userPassword) != nil else {
            throw TransportError.authentication("the router at \(endpoint) opened the session without confirming user/password authentication")
        }
    }

    /// What a Close during the handshake means. A Zenoh router that refuses
    /// credentials closes the link with reason generic (0) right after our
    /// OpenSyn, and one that requires them and got none does the same right
    /// after our InitSyn (verified against eclipse-zenoh 1.10.2).
    func refusal(_ reason: UInt8) -> TransportError {
        guard reason == Close.generic, role == .connector else { return .closedByPeer(reason: reason) }
        if let c = config.usrpwd, isWaitingOpenAck {
            return .authentication("the router at \(endpoint) refused \(c.description): wrong user name or password")
        }
        if config.usrpwd == nil, isWaitingInitAck {
            return .handshake("the router at \(endpoint) closed the link on our InitSyn (reason generic); a router that requires user/password authentication does so when none is configured (transport.auth.usrpwd)")
        }
        return .closedByPeer(reason: reason)
    }

    // MARK: Listener

    /// The nonce to put in the InitAck, or nil when this listener does not
    /// authenticate. A device that does not offer user/password is refused
    /// as Zenoh refuses it: Close (generic) and the link dropped.
    func challenge(_ syn: InitSyn, context: ChannelHandlerContext) throws -> UInt64? {
        guard config.usrpwdDictionary != nil else { return nil }
        let auth = try? AuthExtension.decode(syn.auth)
        guard auth?.method(AuthExtension.Method.userPassword) != nil else {
            refuse(context)
            throw TransportError.authentication("the device at \(endpoint) did not offer user/password authentication, which this listener requires")
        }
        return UsrPwdProof.nonce()
    }

    /// Checks the OpenSyn's proof against the dictionary; returns the user
    /// (nil when this listener does not authenticate).
    func checkProof(_ open: OpenSyn, offer: Offer, context: ChannelHandlerContext) throws -> String? {
        guard let nonce = offer.nonce, let dictionary = config.usrpwdDictionary else { return nil }
        let auth: AuthExtension
        do throws(DecodeError) { auth = try AuthExtension.decode(open.auth) } catch {
            refuse(context)
            throw TransportError.malformed("the device's Auth extension: \(error)")
        }
        guard let m = auth.method(AuthExtension.Method.userPassword), case .bytes(let body) = m.body else {
            refuse(context)
            throw TransportError.authentication("the device at \(endpoint) sent no user/password proof")
        }
        let proof: UsrPwdOpenSyn
        do throws(DecodeError) {
            var r = WireReader(body)
            proof = try UsrPwdOpenSyn.decode(from: &r)
        } catch {
            refuse(context)
            throw TransportError.malformed("the device's user/password proof: \(error)")
        }
        // Shown in errors and logs: printable, bounded.
        let user = String(decoding: proof.user.prefix(64), as: UTF8.self)
        guard let password = dictionary.password(of: String(decoding: proof.user, as: UTF8.self)) else {
            refuse(context)
            throw TransportError.authentication("the device at \(endpoint) is not a known user ('\(user)')")
        }
        guard HMACSHA3_256.equal(UsrPwdProof.code(nonce: nonce, password: password), proof.hmac) else {
            refuse(context)
            throw TransportError.authentication("the device at \(endpoint) gave a wrong password for user '\(user)'")
        }
        return user
    }

    /// Tells the device it is refused the way Zenoh does (Close, reason generic).
    private func refuse(_ context: ChannelHandlerContext) {
        write(.close(Close(reason: Close.generic, closesSession: false)), context: context)
    }
}
