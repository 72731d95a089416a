import Logging
import PetrelGateway
import PetrelSession
import PetrelTime
import PetrelTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The agent's configuration: the JSON5 file (`petrel agent -c FILE`), with
/// Zenoh's key names wherever Zenoh has the setting (`mode`, `id`,
/// `connect.endpoints`, `listen.endpoints`, `timestamping`, `scouting`,
/// `transport.link.tx.lease`...), so a Zenoh user recognises it, plus Petrel's
/// own sections (`serial`, `mqtt`, `storages`, `buffer`). Every key is
/// documented in boards/README.md.
///
/// Every property has the default the agent uses when the key is absent, so
/// `AgentConfig()` is `embeddedDefault`.
public struct AgentConfig: Sendable, Equatable {
    /// Zenoh's session mode: `client` joins a router; `peer` listens and
    /// connects to other peers directly (a clique, no router needed).
    /// `router` is refused with a clear message.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case client
        case peer
    }

    /// `connect`: the routers the agent's uplink goes to.
    public struct Connect: Sendable, Equatable {
        /// `connect.endpoints`: tried in order; the session keeps one link.
        public var endpoints: [Endpoint] = [AgentConfig.defaultRouter]
        /// `connect.timeout_ms`: how long to wait for a router at start-up
        /// before giving up; -1 (the agent's default) retries forever while
        /// buffering locally.
        public var timeoutMilliseconds: Int = -1
        /// Whether the file listed `connect.endpoints`: a client without
        /// them scouts for a router when multicast scouting is on, and a peer
        /// without them only listens and scouts.
        public var endpointsGiven = false

        public init() {}

        /// The wait limit for `Session.open(waitForRouter:)`: nil means forever.
        public var routerWait: Duration? {
            timeoutMilliseconds < 0 ? nil : .milliseconds(timeoutMilliseconds)
        }
    }

    /// `transport`: the session's lease, keep-alives, batches and QoS (Zenoh's
    /// `transport.link.*` and `transport.unicast.*`). Defaults are
    /// `TransportConfig`'s, which are Zenoh's.
    public struct Transport: Sendable, Equatable {
        /// `transport.link.tx.lease` (ms).
        public var leaseMilliseconds: UInt64
        /// `transport.link.tx.keep_alive`: keep-alives every lease / this.
        public var keepAliveFactor: UInt64
        /// `transport.link.tx.batch_size` (bytes, at most 65535).
        public var batchSize: Int
        /// `transport.link.rx.max_message_size` (bytes).
        public var maxMessageSize: Int
        /// `transport.unicast.qos.enabled`.
        public var qos: Bool
        /// `transport.unicast.open_timeout` (ms).
        public var openTimeoutMilliseconds: Int64
        /// `transport.auth.usrpwd.user` / `password`: what the uplink proves
        /// to the router. Its descriptions never show the password.
        public var usrpwd: UsrPwdCredentials?
        /// `transport.auth.usrpwd.dictionary_file`: the users local listeners
        /// accept (read when the configuration is), and where it was read from.
        public var usrpwdDictionary: UsrPwdDictionary?
        public var usrpwdDictionaryFile: String?
        /// `transport.link.tls`: certificates for `tls/` endpoints.
        public var tls = TLSConfig()

        public init() {
            let defaults = TransportConfig(zid: AgentConfig.placeholderID)
            leaseMilliseconds = defaults.leaseMilliseconds
            keepAliveFactor = defaults.keepAliveFactor
            batchSize = defaults.batchSize
            maxMessageSize = defaults.maxMessageSize
            qos = defaults.qos
            openTimeoutMilliseconds = defaults.openTimeoutMilliseconds
        }
    }

    /// `mode`.
    public var mode: Mode = .client
    /// `id`: the session's Zenoh ID (hex); nil draws a random one per session.
    public var id: ZenohID?
    public var connect = Connect()
    /// `listen.endpoints`: links the agent accepts (its gateway role), e.g. a
    /// UART-attached microcontroller on `serial//dev/ttyAMA0#baudrate=115200`.
    public var listen: [Endpoint] = []
    /// `listen.limits`: what one local device may make the gateway hold.
    public var gatewayLimits = GatewayLimits()
    /// `timestamping.enabled`: stamp samples with the hybrid logical clock. On
    /// by default for the agent (unlike a Zenoh client) because its storages
    /// and offline buffer order and deduplicate by timestamp.
    public var timestamping = true
    /// `scouting.multicast.enabled`: accepted for Zenoh compatibility; the agent
    /// does not scout yet, so it stays off by default.
    public var scoutingMulticast = false
    /// `scouting`: multicast Scout/Hello and gossip, with Zenoh's key names.
    public var scouting = ScoutingConfig()
    public var transport = Transport()
    /// `adminspace.enabled`: answer queries on `@/<zid>/...` about the agent.
    public var adminSpace = true
    /// `log.level`.
    public var logLevel: Logger.Level = .info
    /// `serial`: sensors read from serial ports.
    public var serial: [SerialSourceConfig] = []
    /// `mqtt`: the MQTT bridge; nil when the section is absent.
    public var mqtt: MQTTBridgeConfig?
    /// `storages`: the hot-era stores on the board.
    public var storages: [StorageConfig] = []
    /// `buffer`: the durable offline log used while the uplink is down.
    public var buffer = BufferConfig()
    /// `heartbeat`: the periodic status sample (see Heartbeat.swift).
    public var heartbeat = HeartbeatConfig()

    public init() {}

    /// The router a fresh install looks for: Zenoh's default port on this machine.
    public static let defaultRouter = Endpoint(proto: .tcp, host: "127.0.0.1", port: 7447)

    /// What `petrel agent` runs with when no configuration file exists: a
    /// client of tcp/127.0.0.1:7447 that keeps retrying, buffers under the
    /// default data directory meanwhile, stamps its samples and exposes its
    /// admin space.
    public static let embeddedDefault = AgentConfig()

    /// Only for reading `TransportConfig`'s defaults, whose initializer wants an ID.
    static let placeholderID = ZenohID(high: 0, low: 1)!

    // MARK: Reading

    /// Parses and validates a configuration text.
    ///
    /// - Parameter source: how to name the text in errors, usually its file name.
    /// - Throws: the first problem in file order: a JSON5 syntax error (with
    ///   line and column), an unknown key, a wrong type or a bad value, each
    ///   naming its key path. `validate` lists all of them.
    public static func parse(_ text: String, source: String) throws(ConfigError) -> AgentConfig {
        let (config, errors) = read(text, source: source)
        if let first = errors.first { throw first }
        return config
    }

    /// Reads and validates a configuration file.
    ///
    /// - Parameter allowInsecureSecrets: accept a file with secrets that every
    ///   user can read (see AgentConfig+Secrets.swift).
    /// - Throws: `ConfigError` with `file` set: unreadable file, the first
    ///   problem `parse` finds, or secrets readable by every user.
    public static func load(path: String, allowInsecureSecrets: Bool = false) throws(ConfigError) -> AgentConfig {
        let text = try readFile(path)
        let config = try parse(text, source: path)
        if let problem = secretsPermissionProblems(text, file: path, allowInsecure: allowInsecureSecrets).first { throw problem }
        return config
    }

    /// Every problem in a configuration text, in file order; empty when it is valid.
    public static func validate(_ text: String, source: String) -> [ConfigError] {
        read(text, source: source).errors
    }

    /// Every problem in a configuration file, in file order, then its secrets'
    /// permissions; empty when it is valid.
    public static func validate(path: String, allowInsecureSecrets: Bool = false) -> [ConfigError] {
        do {
            let text = try readFile(path)
            return validate(text, source: path) + secretsPermissionProblems(text, file: path, allowInsecure: allowInsecureSecrets)
        } catch {
            return [error]
        }
    }

    private static func readFile(_ path: String) throws(ConfigError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path)
        } catch {
            let why = switch error.errno {
            case ENOENT: "does not exist"
            case EACCES: "cannot be read (permissions?)"
            case EISDIR: "is a directory"
            default: "cannot be read (\(error))"
            }
            throw ConfigError(path: "", message: "the configuration file \(why)", file: path)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(path: "", message: "the configuration file is not UTF-8 text", file: path)
        }
        return text
    }

    /// Parses, then walks the tree; returns the configuration (defaults where
    /// values were bad) and every error, sorted by position.
    static func read(_ text: String, source: String) -> (config: AgentConfig, errors: [ConfigError]) {
        let src = ConfigSource(text)
        var reader = JSON5Reader(src)
        let root: ConfigValue
        do {
            root = try reader.readDocument()
        } catch {
            let (line, column) = src.location(of: error.offset)
            return (AgentConfig(), [ConfigError(path: error.path, message: "syntax error: \(error.message)",
                                                file: source, line: line, column: column)])
        }
        let validator = ConfigValidator(source: src, file: source)
        let config = AgentConfig(root, validator)
        return (config, validator.sortedErrors)
    }
}
