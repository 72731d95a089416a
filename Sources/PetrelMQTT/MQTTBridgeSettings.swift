import PetrelKeyExpr

/// What the MQTT bridge needs to run: the broker connection and the mappings.
/// (The agent builds it from its `mqtt` config section; this module does not
/// depend on the agent.)
public struct MQTTBridgeSettings: Sendable {
    public enum Direction: String, Sendable, Equatable {
        /// MQTT -> Zenoh.
        case inbound = "in"
        /// Zenoh -> MQTT.
        case outbound = "out"
        case both

        public var carriesInbound: Bool { self != .outbound }
        public var carriesOutbound: Bool { self != .inbound }
    }

    public struct Mapping: Sendable {
        /// MQTT topic filter.
        public var topic: String
        /// Zenoh key prefix (no wildcards).
        public var key: KeyExpr
        public var direction: Direction
        public var qos: Int
        public var retain: Bool

        public init(topic: String, key: KeyExpr, direction: Direction = .inbound, qos: Int = 1, retain: Bool = false) {
            self.topic = topic
            self.key = key
            self.direction = direction
            self.qos = qos
            self.retain = retain
        }
    }

    public var client: MosquittoClient.Options
    public var mappings: [Mapping]
    /// Zenoh -> MQTT messages held while the broker is unreachable.
    public var queueMaxMessages = 10_000
    public var queueMaxBytes = 8_000_000
    /// QoS 1/2 publications handed to libmosquitto and not yet acknowledged,
    /// at most (the rest waits in the bounded queue).
    public var inflightWindow = 1000

    public init(client: MosquittoClient.Options, mappings: [Mapping]) {
        self.client = client
        self.mappings = mappings
    }
}
