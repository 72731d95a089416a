/// Certificates for `tls/HOST:PORT` links, under Zenoh's names
/// (`transport.link.tls.*` in DEFAULT_CONFIG.json5). Paths are PEM files,
/// read each time a link opens, so renewed certificates take effect on the
/// next reconnection.
public struct TLSConfig: Sendable, Equatable {
    /// `root_ca_certificate`: a CA that signs the router's certificate (used
    /// beside the system's trust store, as Zenoh trusts the web PKI roots
    /// beside it); a listener with `enable_mtls` verifies devices against it.
    public var rootCACertificate: String?
    /// `connect_certificate` / `connect_private_key`: this end's identity
    /// when the router asks for one (mutual TLS).
    public var connectCertificate: String?
    public var connectPrivateKey: String?
    /// `listen_certificate` / `listen_private_key`: a `tls/` listener's identity.
    public var listenCertificate: String?
    public var listenPrivateKey: String?
    /// `enable_mtls`: a connector presents its certificate, a listener
    /// demands one signed by the root CA. Both sides then use TLS 1.3 only, as Zenoh does.
    public var enableMTLS: Bool = false
    /// `verify_name_on_connect`: the router's certificate must name the host
    /// of the endpoint (a DNS name, or an IP address SAN for `tls/127.0.0.1:…`).
    /// Off still verifies the chain, only not the name.
    public var verifyNameOnConnect: Bool = true

    public init() {}
}
