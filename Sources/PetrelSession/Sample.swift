import PetrelTime
import PetrelWire

/// What a subscriber receives: a put or a delete on a key.
public struct Sample: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case put
        case delete
    }

    public var kind: Kind
    public var key: String
    public var payload: ZBytes
    public var encoding: Encoding
    public var timestamp: Timestamp?
    public var attachment: ZBytes?
    public var priority: Priority
    public var congestionControl: NetworkQoS.CongestionControl
    public var express: Bool
    /// The gateway face a relayed sample came from (nil for everything else),
    /// so the gateway does not send a device its own publications back.
    package var origin: UInt32? = nil

    public init(kind: Kind, key: String, payload: ZBytes = [], encoding: Encoding = .zenohBytes,
                timestamp: Timestamp? = nil, attachment: ZBytes? = nil,
                priority: Priority = .data, congestionControl: NetworkQoS.CongestionControl = .drop, express: Bool = false) {
        self.kind = kind
        self.key = key
        self.payload = payload
        self.encoding = encoding
        self.timestamp = timestamp
        self.attachment = attachment
        self.priority = priority
        self.congestionControl = congestionControl
        self.express = express
    }
}

/// One answer to a `get`: a sample, or an error value from a queryable (or the router).
public struct Reply: Sendable, Equatable {
    public var result: Result<Sample, ReplyError>
    /// The queryable's session, when the router told us.
    public var replierID: ZenohID?

    public init(result: Result<Sample, ReplyError>, replierID: ZenohID? = nil) {
        self.result = result
        self.replierID = replierID
    }

    public var sample: Sample? { if case .success(let s) = result { return s } else { return nil } }
}

/// An error reply: a payload and its encoding (e.g. "Timeout" from a router).
public struct ReplyError: Error, Sendable, Equatable {
    public var payload: ZBytes
    public var encoding: Encoding
    public init(payload: ZBytes, encoding: Encoding = .zenohBytes) {
        self.payload = payload
        self.encoding = encoding
    }
}

/// Options of a put or delete.
public struct PutOptions: Sendable {
    public var encoding: Encoding = .zenohBytes
    public var attachment: ZBytes? = nil
    public var timestamp: Timestamp? = nil
    public var priority: Priority = .data
    /// Petrel defaults to Block: an edge agent's readings are the data its user
    /// cares about, and a Drop publisher loses most of a burst at a busy router
    /// (field notes). Use `.drop` for data that may be lost.
    public var congestionControl: NetworkQoS.CongestionControl = .block
    public var express: Bool = false
    public var reliability: Reliability = .reliable
    /// See `Sample.origin`.
    package var origin: UInt32? = nil
    /// False for a sample this session's own subscribers have already seen:
    /// the agent's uplink delivers each reading locally when it is taken and
    /// sends it upstream then or, after an outage, later from the offline buffer.
    package var deliversLocally = true

    public init() {}
}
