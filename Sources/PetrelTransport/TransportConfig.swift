import PetrelTime
import PetrelWire

/// What a client offers when it opens a session, and how it keeps it alive.
/// Defaults follow Zenoh's (DEFAULT_CONFIG.json5); sizes are settings, not constants.
public struct TransportConfig: Sendable {
    public var zid: ZenohID
    public var whatAmI: WhatAmI = .client
    /// Our lease: the router closes the session after this much silence from us.
    public var leaseMilliseconds: UInt64 = 10_000
    /// Keep-alives are sent when nothing else was sent for lease / this factor.
    public var keepAliveFactor: UInt64 = 4
    /// Largest batch we offer; the link's own limit and the router's answer may lower it.
    public var batchSize: Int = 65535
    /// Frame-SN and request-id resolution we offer (0x0A = 32-bit each).
    public var resolution: UInt8 = 0x0A
    /// Offer QoS: eight priority channels, each with its own SNs.
    public var qos: Bool = true
    /// Offer patch 1 (First/Drop markers on fragments).
    public var patch: UInt64 = 1
    /// Largest message we reassemble from fragments.
    public var maxMessageSize: Int = 64 << 20
    /// Give up opening a session after this long.
    public var openTimeoutMilliseconds: Int64 = 10_000
    /// Bytes queued for the link before producers with congestion control Block wait.
    public var txQueueBytes: Int = 4 << 20
    /// UDP has no flow control: bursts are spread to at most this many bytes
    /// per millisecond (16 KiB/ms ≈ 16 MB/s, 128 Mbit/s) so a peer's socket
    /// buffer keeps up. A Linux default receive buffer (208 KiB) holds three
    /// 64 KiB datagrams: at 64 KiB/ms a router descheduled for 3 ms (a busy
    /// board, a contended VM) dropped fragments of a 4 MiB put; at this rate it
    /// may stall for about 12 ms.
    public var datagramPacingBytesPerMillisecond: Int = 16 << 10
    /// `transport.auth.usrpwd.user`/`password`: the credentials this end
    /// proves when it opens a session; nil opens without authentication.
    public var usrpwd: UsrPwdCredentials?
    /// `transport.auth.usrpwd.dictionary_file`, read: the users a listener
    /// accepts; nil accepts any device without authentication.
    public var usrpwdDictionary: UsrPwdDictionary?
    /// `transport.link.tls`: certificates for `tls/` endpoints.
    public var tls = TLSConfig()
    /// Caps on what an accepted session may hold (the gateway's devices); none by default.
    public var limits = SessionLimits()

    public init(zid: ZenohID = .random()) {
        self.zid = zid
    }
}

/// What the router answered during the handshake.
public struct TransportParameters: Sendable, Equatable {
    public var remoteZID: ZenohID
    public var remoteWhatAmI: WhatAmI
    public var batchSize: Int
    public var resolution: UInt8
    public var qos: Bool
    public var patch: Bool
    public var remoteLeaseMilliseconds: UInt64
    public var remoteInitialSN: UInt64
    public var localInitialSN: UInt64
    /// The user a listener authenticated (user/password), nil without authentication.
    public var authenticatedUser: String? = nil
}

/// Why a session could not be opened or ended.
public enum TransportError: Error, Sendable, CustomStringConvertible, Equatable {
    case closedByPeer(reason: UInt8)
    case handshake(String)
    case timeout(String)
    case link(String)
    case malformed(String)
    case leaseExpired(UInt64)
    case closed
    /// User/password authentication failed (wrong credentials, or one side does not use it).
    case authentication(String)
    /// The TLS layer of a `tls/` link failed: certificates that cannot be
    /// loaded, a peer that cannot be verified or that refused ours.
    case tls(String)
    /// The peer went over one of the caps of `SessionLimits` (the gateway's devices).
    case overLimit(SessionLimit, String)

    public var description: String {
        switch self {
        case .closedByPeer(let r): return "closed by the peer (reason \(Self.reasonName(r)))"
        case .handshake(let s): return "handshake failed: \(s)"
        case .timeout(let s): return "timed out: \(s)"
        case .link(let s): return "link error: \(s)"
        case .malformed(let s): return "malformed data from the peer: \(s)"
        case .leaseExpired(let ms): return "the peer was silent for its whole lease (\(ms) ms)"
        case .closed: return "the session is closed"
        case .authentication(let s): return "authentication failed: \(s)"
        case .tls(let s): return "TLS failed: \(s)"
        case .overLimit(let limit, let s): return "over the limit \(limit.configKey): \(s)"
        }
    }

    /// Whether retrying cannot help until someone changes a configuration or
    /// a certificate (refused credentials, an untrusted peer): worth a warning,
    /// where a router that is simply down is not.
    public var isRefusal: Bool {
        switch self {
        case .authentication, .tls: return true
        default: return false
        }
    }

    static func reasonName(_ r: UInt8) -> String {
        let names = ["generic", "unsupported", "invalid", "max sessions", "max links", "expired", "unresponsive", "connection to self"]
        return Int(r) < names.count ? "\(r): \(names[Int(r)])" : "\(r)"
    }
}
