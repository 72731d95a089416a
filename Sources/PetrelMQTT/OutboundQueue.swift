/// A message on its way from Zenoh to the broker.
public struct OutboundMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    /// What the message counts against the queue's byte limit.
    var size: Int { payload.count + topic.utf8.count }
}

/// First in, first out, bounded by a message count and a byte total: when a
/// new message does not fit, the oldest ones are dropped (and counted) to make
/// room, so after an outage the broker gets the most recent data. A message
/// larger than the whole byte limit is dropped itself.
public struct OutboundQueue: Sendable {
    public let maxMessages: Int
    public let maxBytes: Int
    private var items: [OutboundMessage] = []
    private var head = 0
    public private(set) var bytes = 0
    /// Messages dropped because the queue was full, since creation.
    public private(set) var dropped: UInt64 = 0

    public init(maxMessages: Int, maxBytes: Int) {
        self.maxMessages = max(1, maxMessages)
        self.maxBytes = max(1, maxBytes)
    }

    public var count: Int { items.count - head }
    public var isEmpty: Bool { count == 0 }

    /// Appends `m`, dropping the oldest messages while the limits are exceeded.
    public mutating func append(_ m: OutboundMessage) {
        guard m.size <= maxBytes else {
            dropped &+= 1
            return
        }
        while count >= maxMessages || (count > 0 && bytes + m.size > maxBytes) {
            _ = removeFirst()
            dropped &+= 1
        }
        items.append(m)
        bytes += m.size
    }

    /// Takes the oldest message.
    public mutating func removeFirst() -> OutboundMessage? {
        guard head < items.count else { return nil }
        let m = items[head]
        head += 1
        bytes -= m.size
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return m
    }

    /// Puts back a message taken with `removeFirst` that could not be sent,
    /// ahead of the others (it was the oldest). Limits are not applied: it was
    /// already counted in.
    public mutating func prepend(_ m: OutboundMessage) {
        if head > 0 {
            head -= 1
            items[head] = m
        } else {
            items.insert(m, at: 0)
        }
        bytes += m.size
    }
}
