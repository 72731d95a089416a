import PetrelKeyExpr
import PetrelTransport

/// The `mqtt` section: one MQTT broker and the topic <-> key mappings bridged
/// through it.
///
/// A mapping joins an MQTT topic filter and a Zenoh key prefix the way
/// zenoh-plugin-mqtt's `scope` does: a message on MQTT topic `T` (matching
/// `topic`) is published in Zenoh at `key/T`; a Zenoh sample on `key/T` is
/// published to MQTT topic `T` (when `T` matches `topic`).
public struct MQTTBridgeConfig: Sendable, Equatable {
    public struct TLS: Sendable, Equatable {
        /// `ca_file`: PEM file of the CA(s) that signed the broker's certificate;
        /// nil uses the system's trust store.
        public var caFile: String?
        /// `cert_file`, `key_file`: the client certificate and its key (PEM),
        /// for brokers that authenticate clients by certificate; both or neither.
        public var certFile: String?
        public var keyFile: String?
        /// `insecure`: skip verifying the broker's certificate and host name
        /// (test setups only).
        public var insecure = false

        public init() {}
    }

    /// `queue`: what is held for the broker while it is unreachable; beyond
    /// either limit the oldest messages are dropped.
    public struct Queue: Sendable, Equatable {
        public var maxMessages = 10_000
        public var maxBytes = 8_000_000

        public init() {}
    }

    public enum Direction: String, Sendable, Equatable, CaseIterable {
        /// MQTT -> Zenoh.
        case inbound = "in"
        /// Zenoh -> MQTT.
        case outbound = "out"
        /// Both ways (the bridge does not echo a message back where it came from).
        case both
    }

    public struct Mapping: Sendable, Equatable {
        /// `topic`: an MQTT topic filter (`+` one level, `#` the rest).
        public var topic: String
        /// `key`: the Zenoh key prefix (no wildcards).
        public var key: KeyExpr
        public var direction: Direction = .inbound
        /// `qos`: the MQTT QoS of subscriptions and publications (0, 1 or 2).
        public var qos = 1
        /// `retain`: publish to MQTT with the retain flag.
        public var retain = false

        public init(topic: String, key: KeyExpr) {
            self.topic = topic
            self.key = key
        }
    }

    /// `broker`: `tcp/HOST:PORT` (required).
    public var broker: Endpoint
    /// `client_id`: nil lets the bridge use `petrel-<zid>`.
    public var clientID: String?
    public var username: String?
    public var password: String?
    /// `keep_alive`: seconds between MQTT pings (0 disables them).
    public var keepAliveSeconds = 60
    /// `clean_session`: false asks the broker to keep subscriptions and queued
    /// QoS 1/2 messages across reconnects (needs a fixed `client_id`).
    public var cleanSession = true
    /// `tls`: nil for plain TCP.
    public var tls: TLS?
    public var queue = Queue()
    /// `mappings` (at least one).
    public var mappings: [Mapping] = []

    public init(broker: Endpoint) {
        self.broker = broker
    }

    static let keys = ["broker", "client_id", "username", "password", "keep_alive", "clean_session", "tls", "queue", "mappings"]

    init?(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) {
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        let broker = o.require("broker", hint: "the broker's address, e.g. \"tcp/127.0.0.1:1883\"") { value, path -> Endpoint? in
            guard let e = v.endpoint(value, path) else { return nil }
            guard e.proto == .tcp else {
                v.report(path, "expected a tcp/HOST:PORT broker address (MQTT runs over TCP; add a 'tls' section for TLS), found '\(e)'", at: value.offset)
                return nil
            }
            return e
        }
        let clientID = o.read("client_id") { value, path -> String? in
            guard let s = v.nonEmptyString(value, path) else { return nil }
            guard s.utf8.count <= 65535, !s.contains("\0") else {
                v.report(path, "an MQTT client id is at most 65535 bytes without NUL characters", at: value.offset)
                return nil
            }
            return s
        }
        let username = o.read("username", v.string)
        let password = o.read("password", v.string)
        if password != nil && username == nil && !o.has("username") {
            o.reject("password", "a password needs a 'username' (MQTT sends no password without a user name)")
        }
        let keepAlive = o.read("keep_alive") { v.integer($0, $1, in: 0...65535, unit: "seconds") }
        let cleanSession = o.read("clean_session", v.bool)
        if cleanSession == false && !o.has("client_id") {
            o.reject("clean_session", "false needs a fixed 'client_id': the broker keeps the session under that id")
        }
        var tls: TLS?
        if let t = o.section("tls", keys: ["ca_file", "cert_file", "key_file", "insecure"]) {
            var s = TLS()
            s.caFile = t.read("ca_file", v.nonEmptyString)
            s.certFile = t.read("cert_file", v.nonEmptyString)
            s.keyFile = t.read("key_file", v.nonEmptyString)
            s.insecure = t.read("insecure", v.bool) ?? false
            if t.has("cert_file") != t.has("key_file") {
                let missing = t.has("cert_file") ? "key_file" : "cert_file"
                v.report(t.childPath(missing), "missing required key: a client certificate needs both cert_file and key_file", at: t.offset)
            }
            tls = s
        }
        var queue = Queue()
        if let q = o.section("queue", keys: ["max_messages", "max_bytes"]) {
            queue.maxMessages = q.read("max_messages") { v.integer($0, $1, in: 1...Int(Int32.max)) } ?? queue.maxMessages
            queue.maxBytes = q.read("max_bytes") { v.size($0, $1) } ?? queue.maxBytes
        }
        let mappings = o.require("mappings", hint: "a list of { topic, key, direction } to bridge, e.g. [{ topic: \"sensors/#\", key: \"farm/pi1/mqtt\" }]") {
            value, path -> [Mapping]? in
            guard let list = v.array(value, path) else { return nil }
            if list.isEmpty {
                v.report(path, "expected at least one mapping (an MQTT bridge with nothing to bridge is likely a mistake)", at: value.offset)
            }
            return list.compactMap { Mapping($0.0, $0.1, v) }
        }
        guard let broker else { return nil }
        self.init(broker: broker)
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepAliveSeconds = keepAlive ?? keepAliveSeconds
        self.cleanSession = cleanSession ?? self.cleanSession
        self.tls = tls
        self.queue = queue
        self.mappings = mappings ?? []
    }

    /// Checks an MQTT topic filter: not empty, no NUL, `#` only as the whole
    /// last level, `+` only as a whole level. Returns why not, or nil.
    static func topicFilterProblem(_ filter: String) -> String? {
        if filter.isEmpty { return "an MQTT topic filter must not be empty" }
        if filter.utf8.count > 65535 { return "an MQTT topic filter is at most 65535 bytes" }
        if filter.contains("\0") { return "an MQTT topic filter must not contain NUL" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (n, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || n != levels.count - 1) {
                return "'#' must be the whole last level of a topic filter (e.g. sensors/#)"
            }
            if level.contains("+") && level != "+" {
                return "'+' must be a whole level of a topic filter (e.g. sensors/+/temp)"
            }
        }
        return nil
    }
}

extension MQTTBridgeConfig.Mapping {
    static let keys = ["topic", "key", "direction", "qos", "retain"]

    init?(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) {
        guard let o = v.object(value, path, keys: Self.keys) else { return nil }
        let topic = o.require("topic", hint: "an MQTT topic filter, e.g. \"sensors/#\"") { value, path -> String? in
            guard let s = v.string(value, path) else { return nil }
            if let problem = MQTTBridgeConfig.topicFilterProblem(s) {
                v.report(path, "'\(s)' is not a topic filter: \(problem)", at: value.offset)
                return nil
            }
            return s
        }
        let key = o.require("key", hint: "the Zenoh key prefix, e.g. \"farm/pi1/mqtt\"") { v.keyExpr($0, $1, wildcards: false) }
        let direction = o.read("direction") { v.choice($0, $1, MQTTBridgeConfig.Direction.allCases.map { ($0.rawValue, $0) }) }
        let qos = o.read("qos") { value, path -> Int? in
            guard case .integer(let n) = value.kind else {
                v.report(path, "expected 0, 1 or 2, found \(value.foundDescription)", at: value.offset)
                return nil
            }
            guard (0...2).contains(n) else {
                v.report(path, "expected 0, 1 or 2, found \(n)", at: value.offset)
                return nil
            }
            return n
        }
        let retain = o.read("retain", v.bool)
        guard let topic, let key else { return nil }
        self.init(topic: topic, key: key)
        self.direction = direction ?? self.direction
        self.qos = qos ?? self.qos
        self.retain = retain ?? self.retain
    }
}
