import NIOCore
import NIOSSL

/// TLS under a stream link (Zenoh's `tls/` endpoints): the same batches and
/// 2-byte length prefixes as TCP, inside a TLS session made by SwiftNIO SSL
/// (BoringSSL). This file builds the contexts from `TLSConfig` and turns
/// BoringSSL's failures into errors an operator can act on.
enum TLSLink {
    /// The client context for one connection attempt.
    ///
    /// - Throws: `TransportError.tls` naming the setting whose file cannot be
    ///   loaded, or a missing client certificate/key when `enable_mtls` is on.
    static func clientContext(_ c: TLSConfig) throws(TransportError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = c.enableMTLS ? .tlsv13 : .tlsv12
        tls.certificateVerification = c.verifyNameOnConnect ? .fullVerification : .noHostnameVerification
        tls.trustRoots = .default
        if let ca = c.rootCACertificate {
            tls.additionalTrustRoots = [.certificates(try certificates(ca, "root_ca_certificate"))]
        }
        if c.enableMTLS {
            guard let cert = c.connectCertificate, let key = c.connectPrivateKey else {
                throw .tls("enable_mtls is on but transport.link.tls.connect_certificate and connect_private_key are not both set")
            }
            tls.certificateChain = try certificates(cert, "connect_certificate").map { .certificate($0) }
            tls.privateKey = .privateKey(try privateKey(key, "connect_private_key"))
        }
        return try context(tls)
    }

    /// The server context of a `tls/` listener.
    static func serverContext(_ c: TLSConfig) throws(TransportError) -> NIOSSLContext {
        guard let cert = c.listenCertificate, let key = c.listenPrivateKey else {
            throw .tls("a tls/ listener needs transport.link.tls.listen_certificate and listen_private_key")
        }
        let chain = try certificates(cert, "listen_certificate").map { NIOSSLCertificateSource.certificate($0) }
        let pkey = NIOSSLPrivateKeySource.privateKey(try privateKey(key, "listen_private_key"))
        var tls: TLSConfiguration
        if c.enableMTLS {
            guard let ca = c.rootCACertificate else {
                throw .tls("enable_mtls on a listener needs transport.link.tls.root_ca_certificate to verify devices")
            }
            tls = .makeServerConfigurationWithMTLS(certificateChain: chain, privateKey: pkey,
                                                   trustRoots: .certificates(try certificates(ca, "root_ca_certificate")))
            tls.minimumTLSVersion = .tlsv13
        } else {
            tls = .makeServerConfiguration(certificateChain: chain, privateKey: pkey)
            tls.minimumTLSVersion = .tlsv12
        }
        return try context(tls)
    }

    /// The name the client sends (SNI) and verifies: nil for an IP address,
    /// which SNI cannot carry; BoringSSL then checks the address against the
    /// certificate's IP SANs.
    static func serverHostname(_ endpoint: Endpoint) -> String? {
        isIPAddress(endpoint.host) ? nil : endpoint.host
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    private static func certificates(_ path: String, _ key: String) throws(TransportError) -> [NIOSSLCertificate] {
        do {
            let certs = try NIOSSLCertificate.fromPEMFile(path)
            guard !certs.isEmpty else { throw TransportError.tls("transport.link.tls.\(key) '\(path)' holds no PEM certificate") }
            return certs
        } catch let e as TransportError {
            throw e
        } catch {
            throw .tls("cannot load transport.link.tls.\(key) '\(path)': \(describe(error))")
        }
    }

    private static func privateKey(_ path: String, _ key: String) throws(TransportError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw .tls("cannot load transport.link.tls.\(key) '\(path)': \(describe(error))")
        }
    }

    private static func context(_ tls: TLSConfiguration) throws(TransportError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .tls("cannot set up TLS: \(describe(error))")
        }
    }

    /// A TLS failure during a link's handshake, as the operator needs to read
    /// it: which check failed, not BoringSSL's error stack alone.
    static func transportError(_ error: Error, endpoint: Endpoint, role: HandshakeHandler.Role) -> TransportError? {
        let peer = role == .connector ? "the router" : "the device"
        switch error {
        case let e as NIOSSLExtraError where e == .failedToValidateHostname:
            return .tls("\(peer)'s certificate at \(endpoint) does not name '\(endpoint.host)' (verify_name_on_connect)")
        case is NIOSSLError, is BoringSSLError:
            let text = describe(error)
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return .tls("\(peer)'s certificate at \(endpoint) is not signed by a trusted CA (root_ca_certificate): \(text)")
            }
            if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") || text.contains("ALERT") {
                return .tls("\(peer) at \(endpoint) refused the TLS handshake (does it require a client certificate, enable_mtls?): \(text)")
            }
            return .tls("TLS with \(peer) at \(endpoint) failed: \(text)")
        default:
            return nil
        }
    }

    static func describe(_ error: Error) -> String {
        "\(error)"
    }
}

/// Zenoh ends a session with its own Close message, and a Zenoh router then
/// drops the TCP connection without TLS's close_notify: SwiftNIO SSL reports
/// that as `uncleanShutdown`. Truncation cannot fool the transport (a batch
/// cut short is a framing error, a session cut short is a closed link), so
/// this turns it into the plain end of the stream a TCP link would see,
/// instead of an error logged as a failure.
final class TLSUncleanShutdownFilter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? NIOSSLError, case .uncleanShutdown = e { return }
        context.fireErrorCaught(error)
    }
}
