import PetrelKeyExpr
import PetrelMQTT
import Testing

@Suite("MQTT topic <-> Zenoh key mapping")
struct TopicMappingTests {
    func mapping(_ filter: String, _ prefix: String = "farm/pi1") throws -> TopicMapping {
        try TopicMapping(filter: filter, prefix: KeyExpr(prefix))
    }

    @Test("filters become key expressions: + is *, # is **", arguments: [
        ("sensors/#", "farm/pi1/sensors/**"),
        ("#", "farm/pi1/**"),
        ("+", "farm/pi1/*"),
        ("home/+/temp", "farm/pi1/home/*/temp"),
        ("+/#", "farm/pi1/*/**"),
        ("a/b", "farm/pi1/a/b"),
    ])
    func filterToKeyExpr(filter: String, expected: String) throws {
        #expect(try mapping(filter).keyExpr.string == expected)
    }

    @Test("filters with no key expression are refused with their reason", arguments: ["$SYS/#", "a//b", "/a", "a/", "a/*/b", "a?b", "a/**"])
    func unmappableFilters(filter: String) {
        #expect(throws: TopicMappingError.self) { try TopicMapping(filter: filter, prefix: KeyExpr("p")) }
    }

    @Test("topics map to prefix/topic when they match and are concrete keys")
    func topicToKey() throws {
        let m = try mapping("sensors/#")
        #expect(m.key(forTopic: "sensors/a/temp")?.string == "farm/pi1/sensors/a/temp")
        #expect(m.key(forTopic: "sensors")?.string == "farm/pi1/sensors")
        #expect(m.key(forTopic: "other/a") == nil)
        // Names Zenoh has no key for: skipped, never a crash.
        for topic in ["sensors//a", "sensors/a/", "sensors/*", "sensors/**", "sensors/a$b", "sensors/a?b", "sensors/a#b", "sensors/$*"] {
            #expect(m.key(forTopic: topic) == nil, "\(topic)")
        }
        let all = try mapping("#")
        #expect(all.key(forTopic: "$SYS/broker/uptime") == nil)
        #expect(all.key(forTopic: "/leading") == nil)
        #expect(all.key(forTopic: "") == nil)
        #expect(all.key(forTopic: "caf\u{e9}/\u{1F600}")?.string == "farm/pi1/caf\u{e9}/\u{1F600}")
    }

    @Test("keys map back to topics under the prefix, matching the filter")
    func keyToTopic() throws {
        let m = try mapping("home/+/temp")
        #expect(m.topic(forKey: "farm/pi1/home/kitchen/temp") == "home/kitchen/temp")
        #expect(m.topic(forKey: "farm/pi1/home/kitchen/hum") == nil)
        #expect(m.topic(forKey: "farm/pi1") == nil)
        #expect(m.topic(forKey: "farm/pi10/home/x/temp") == nil)
        #expect(m.topic(forKey: "farm/pi1/home/a+b/temp") == nil)   // '+' is not allowed in a topic name
        #expect(m.topic(forKey: "farm/pi1/home/*/temp") == nil)     // a wild key is not one topic
        let all = try mapping("#")
        #expect(all.topic(forKey: "farm/pi1/a/b/c") == "a/b/c")
    }

    @Test("MQTT matching rules", arguments: [
        ("a/#", "a", true), ("a/#", "a/b/c", true), ("a/+", "a/b", true), ("a/+", "a/b/c", false),
        ("a/+", "a/", true), ("+/+", "/x", true), ("#", "$SYS/x", false), ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/x", true), ("a/b", "a/b", true), ("a/b", "a/c", false), ("a", "a/b", false),
    ])
    func matching(filter: String, topic: String, matches: Bool) {
        #expect(TopicMapping.topic(topic, matches: filter) == matches)
    }

    @Test("round trip: every concrete topic that maps comes back unchanged")
    func roundTrip() throws {
        let m = try mapping("#")
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab/+#*$?\u{e9}".unicodeScalars)
        for _ in 0..<5000 {
            let n = Int.random(in: 0...8, using: &rng)
            let topic = String(String.UnicodeScalarView((0..<n).map { _ in alphabet.randomElement(using: &rng)! }))
            guard !topic.contains("+"), !topic.contains("#"), let key = m.key(forTopic: topic) else { continue }
            #expect(m.topic(forKey: key.string) == topic)
        }
    }
}

@Suite("MQTT outbound queue")
struct OutboundQueueTests {
    func msg(_ n: Int, size: Int = 1) -> OutboundMessage {
        OutboundMessage(topic: "t", payload: Array(repeating: UInt8(n & 0xFF), count: size), qos: 1, retain: false)
    }

    @Test("beyond max_messages the oldest are dropped and counted; order is kept")
    func countLimit() {
        var q = OutboundQueue(maxMessages: 3, maxBytes: 1000)
        for n in 0..<5 { q.append(msg(n)) }
        #expect(q.count == 3)
        #expect(q.dropped == 2)
        #expect([q.removeFirst(), q.removeFirst(), q.removeFirst()].map { $0?.payload.first } == [2, 3, 4])
        #expect(q.removeFirst() == nil)
        #expect(q.bytes == 0)
    }

    @Test("beyond max_bytes the oldest are dropped; a message bigger than the limit is dropped itself")
    func byteLimit() {
        var q = OutboundQueue(maxMessages: 100, maxBytes: 25)  // each message: 10 payload + 1 topic byte
        for n in 0..<4 { q.append(msg(n, size: 10)) }
        #expect(q.count == 2)
        #expect(q.bytes == 22)
        #expect(q.dropped == 2)
        q.append(msg(9, size: 100))
        #expect(q.count == 2)
        #expect(q.dropped == 3)
    }

    @Test("prepend puts a message back at the front; long runs stay in order")
    func prependAndLongRuns() {
        var q = OutboundQueue(maxMessages: 100_000, maxBytes: 100_000_000)
        for n in 0..<5000 { q.append(msg(n)) }
        var out: [UInt8] = []
        var putBack = false
        while let m = q.removeFirst() {
            if out.count == 2500 && !putBack {
                q.prepend(m)   // as when a QoS 0 publish finds the broker gone
                putBack = true
                continue
            }
            out.append(m.payload[0])
        }
        #expect(out == (0..<5000).map { UInt8($0 & 0xFF) })
        #expect(q.isEmpty && q.bytes == 0 && q.dropped == 0)
    }
}
