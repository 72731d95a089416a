import Foundation
import Logging
import PetrelKeyExpr
import PetrelTransport
import Testing
@testable import PetrelAgent

/// The issue's example configuration, verbatim.
let issueExample = """
{ mode: "client", connect: { endpoints: ["tcp/192.168.1.10:7447", "udp/192.168.1.10:7447"] }, listen: { endpoints:
["serial//dev/ttyAMA0#baudrate=115200", "udp/0.0.0.0:7447"] }, serial: [ { port: "/dev/ttyUSB0", baudrate: 115200, format:
"key-value", key: "farm/pi1/air" } ], mqtt: { broker: "tcp/127.0.0.1:1883", mappings: [ { topic: "sensors/#", key:
"farm/pi1/mqtt", direction: "both", qos: 1 } ] }, storages:[ { key: "farm/pi1/**", mode: "time-series", hot: "10m", max_bytes:
"32MB" } ], buffer: { dir: "/var/lib/petrel", max_bytes: "256MB", fsync: "every-record" } }
"""

@Suite("Agent configuration")
struct AgentConfigTests {
    @Test("with no file, the agent is a client of tcp/127.0.0.1:7447 that stamps, buffers and exposes its admin space")
    func embeddedDefault() throws {
        let d = AgentConfig.embeddedDefault
        #expect(d.mode == .client)
        #expect(d.connect.endpoints.map(\.description) == ["tcp/127.0.0.1:7447"])
        #expect(d.connect.timeoutMilliseconds == -1)
        #expect(d.connect.routerWait == nil)
        #expect(d.listen.isEmpty)
        #expect(d.timestamping)
        #expect(!d.scoutingMulticast)
        #expect(d.adminSpace)
        #expect(d.logLevel == .info)
        #expect(d.id == nil)
        #expect(d.serial.isEmpty && d.storages.isEmpty && d.mqtt == nil)
        #expect(d.buffer.dir == nil) // the data directory
        #expect(d.buffer.maxBytes == 256_000_000)
        #expect(d.buffer.maxAge == .seconds(7 * 86400))
        #expect(d.buffer.whenFull == .dropOldest)
        // An empty file and an empty object mean the same.
        #expect(try AgentConfig.parse("{}", source: "empty.json5") == d)
        #expect(try AgentConfig.parse("// nothing but a comment\n{ }\n", source: "c.json5") == d)
        // Transport defaults are TransportConfig's (Zenoh's).
        let t = TransportConfig()
        #expect(d.transport.leaseMilliseconds == t.leaseMilliseconds)
        #expect(d.transport.keepAliveFactor == t.keepAliveFactor)
        #expect(d.transport.batchSize == t.batchSize)
        #expect(d.transport.maxMessageSize == t.maxMessageSize)
        #expect(d.transport.qos == t.qos)
    }

    @Test("the issue's example parses into the settings it spells out")
    func issueExampleParses() throws {
        let c = try AgentConfig.parse(issueExample, source: "example.json5")
        #expect(c.connect.endpoints.map(\.description) == ["tcp/192.168.1.10:7447", "udp/192.168.1.10:7447"])
        #expect(c.listen.map(\.proto) == [.serial, .udp])
        #expect(c.listen[0].address == "/dev/ttyAMA0")
        #expect(c.listen[0].config["baudrate"] == "115200")
        #expect(c.serial.count == 1)
        let s = try #require(c.serial.first)
        #expect(s.port == "/dev/ttyUSB0" && s.baudrate == 115_200 && s.format == .keyValue)
        #expect(s.key.string == "farm/pi1/air")
        #expect(s.txKey.string == "farm/pi1/air/tx")
        let m = try #require(c.mqtt)
        #expect(m.broker.host == "127.0.0.1" && m.broker.port == 1883)
        #expect(m.cleanSession && m.keepAliveSeconds == 60 && m.tls == nil)
        #expect(m.mappings.count == 1)
        #expect(m.mappings[0].topic == "sensors/#")
        #expect(m.mappings[0].key.string == "farm/pi1/mqtt")
        #expect(m.mappings[0].direction == .both && m.mappings[0].qos == 1 && !m.mappings[0].retain)
        #expect(c.storages.count == 1)
        #expect(c.storages[0].key.string == "farm/pi1/**")
        #expect(c.storages[0].mode == .timeSeries)
        #expect(c.storages[0].hot == .seconds(600))
        #expect(c.storages[0].maxBytes == 32_000_000)
        #expect(c.buffer.dir == "/var/lib/petrel")
        #expect(c.buffer.maxBytes == 256_000_000)
        #expect(c.buffer.fsync == .everyRecord)
    }

    @Test("every documented key is read into its setting")
    func everyKey() throws {
        let text = """
        {
          mode: 'client',
          id: "A1B2c3",
          connect: { endpoints: ['tcp/[::1]:7447'], timeout_ms: { router: -1, peer: -1, client: 2500 } },
          listen: { endpoints: [] },
          timestamping: { enabled: false },
          scouting: { multicast: { enabled: true } },
          transport: {
            link: { tx: { lease: 3000, keep_alive: 3, batch_size: 8192 }, rx: { max_message_size: "1MiB" } },
            unicast: { open_timeout: 5000, qos: { enabled: false } },
          },
          adminspace: { enabled: false },
          log: { level: "debug" },
          heartbeat: { key: "lab/{hostname}/alive", interval: "2.5s" },
          serial: [
            { port: "/dev/ttyACM0", format: "csv", key: "lab/csv", tx_key: "lab/csv/cmd",
              columns: ["t", "rh"], separator: ";", baudrate: 9600 },
            { port: "/dev/ttyACM1", format: "json", key: "lab/json" },
          ],
          mqtt: {
            broker: "tcp/broker.local:8883", client_id: "pi1", username: "u", password: "p",
            keep_alive: 30, clean_session: false,
            tls: { ca_file: "/etc/ssl/ca.pem", cert_file: "/c.pem", key_file: "/k.pem", insecure: true },
            queue: { max_messages: 100, max_bytes: 65536 },
            mappings: [ { topic: "a/+/b", key: "m/a", direction: "out", qos: 2, retain: true },
                        { topic: "#", key: "m/all" } ],
          },
          storages: [ { key: "lab/**", max_entries: 10, max_bytes: "1KiB" } ],
          buffer: { max_bytes: "1GiB", max_age: "36h", fsync: "every-250ms", when_full: "drop-newest" },
        }
        """
        let c = try AgentConfig.parse(text, source: "all.json5")
        #expect(c.id?.description == "a1b2c3")
        #expect(c.connect.endpoints.first?.host == "::1")
        #expect(c.connect.timeoutMilliseconds == 2500 && c.connect.routerWait == .milliseconds(2500))
        #expect(c.listen.isEmpty)
        #expect(!c.timestamping && c.scoutingMulticast && !c.adminSpace)
        #expect(c.transport.leaseMilliseconds == 3000 && c.transport.keepAliveFactor == 3)
        #expect(c.transport.batchSize == 8192 && c.transport.maxMessageSize == 1 << 20)
        #expect(c.transport.openTimeoutMilliseconds == 5000 && !c.transport.qos)
        #expect(c.logLevel == .debug)
        #expect(c.heartbeat.key == "lab/{hostname}/alive" && c.heartbeat.intervalSeconds == 2.5)
        #expect(c.serial[0].format == .csv && c.serial[0].columns == ["t", "rh"] && c.serial[0].separator == ";")
        #expect(c.serial[0].txKey.string == "lab/csv/cmd" && c.serial[0].baudrate == 9600)
        #expect(c.serial[1].format == .json && c.serial[1].txKey.string == "lab/json/tx")
        let m = try #require(c.mqtt)
        #expect(m.clientID == "pi1" && m.username == "u" && m.password == "p")
        #expect(m.keepAliveSeconds == 30 && !m.cleanSession)
        #expect(m.tls?.caFile == "/etc/ssl/ca.pem" && m.tls?.insecure == true)
        #expect(m.queue.maxMessages == 100 && m.queue.maxBytes == 65536)
        #expect(m.mappings[0].direction == .outbound && m.mappings[0].qos == 2 && m.mappings[0].retain)
        #expect(m.mappings[1].direction == .inbound && m.mappings[1].qos == 1)
        #expect(c.storages[0].mode == .keyValue && c.storages[0].maxEntries == 10 && c.storages[0].maxBytes == 1024)
        #expect(c.buffer.maxBytes == 1 << 30 && c.buffer.maxAge == .seconds(36 * 3600))
        #expect(c.buffer.fsync == .interval(.milliseconds(250)) && c.buffer.whenFull == .dropNewest)
    }

    @Test("sessionConfig carries mode, id, routers, timestamping and the transport section")
    func sessionConfigMapping() throws {
        let c = try AgentConfig.parse("""
            { id: "1234abcd", connect: { endpoints: ["tcp/10.0.0.1:7447", "udp/10.0.0.2:7447"] },
              timestamping: { enabled: false },
              transport: { link: { tx: { lease: 4000, keep_alive: 2, batch_size: 8192 }, rx: { max_message_size: 2000000 } },
                           unicast: { open_timeout: 1500, qos: { enabled: false } } } }
            """, source: "s.json5")
        let s = c.sessionConfig()
        #expect(s.mode == .client)
        #expect(s.zid.description == "1234abcd")
        #expect(s.connect.map(\.description) == ["tcp/10.0.0.1:7447", "udp/10.0.0.2:7447"])
        #expect(!s.timestamping)
        #expect(s.transport.whatAmI == .client)
        #expect(s.transport.leaseMilliseconds == 4000 && s.transport.keepAliveFactor == 2)
        #expect(s.transport.batchSize == 8192 && s.transport.maxMessageSize == 2_000_000)
        #expect(s.transport.openTimeoutMilliseconds == 1500 && !s.transport.qos)
        // The embedded default stamps, and draws an ID when none is configured.
        let d = AgentConfig.embeddedDefault.sessionConfig()
        #expect(d.timestamping)
        #expect(d.connect.map(\.description) == ["tcp/127.0.0.1:7447"])
    }

    @Test("command-line flags override the file; bad flags name the flag")
    func overriding() throws {
        let file = try AgentConfig.parse(issueExample, source: "example.json5")
        let o = try file.overriding(connect: ["tcp/10.1.1.1:7447"], listen: [], mode: "client")
        #expect(o.connect.endpoints.map(\.description) == ["tcp/10.1.1.1:7447"])
        #expect(o.listen == file.listen) // not given: the file's stays
        #expect(o.serial == file.serial)
        let l = try file.overriding(listen: ["udp/0.0.0.0:7448"])
        #expect(l.listen.map(\.description) == ["udp/0.0.0.0:7448"])
        #expect(l.connect == file.connect)
        #expect(try file.overriding() == file)

        let badEndpoint = #expect(throws: ConfigError.self) { try file.overriding(connect: ["tcp/nohost"]) }
        #expect(badEndpoint?.path == "--connect")
        #expect(badEndpoint?.message.contains("missing ':PORT'") == true)
        #expect(try file.overriding(mode: "peer").mode == .peer)
        let router = #expect(throws: ConfigError.self) { try file.overriding(mode: "router") }
        #expect(router?.path == "--mode")
        #expect(router?.message.contains("not supported yet") == true)
    }

    @Test("load reads a file and names it in errors")
    func loadFromFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.json5").path
        try Data("{ log: { level: 'warning' } }".utf8).write(to: URL(fileURLWithPath: good))
        #expect(try AgentConfig.load(path: good).logLevel == .warning)

        let bad = dir.appendingPathComponent("config.json5").path
        try Data("{\n  mqtt: {\n    broker: 'tcp/127.0.0.1:1883',\n    mappings: [ { topic: 't', key: 'k', qos: 3 } ],\n  },\n}\n".utf8)
            .write(to: URL(fileURLWithPath: bad))
        let e = #expect(throws: ConfigError.self) { try AgentConfig.load(path: bad) }
        #expect(e?.description == "\(bad):4:46: 'mqtt.mappings[0].qos': expected 0, 1 or 2, found 3")

        let missing = #expect(throws: ConfigError.self) { try AgentConfig.load(path: dir.appendingPathComponent("nope.json5").path) }
        #expect(missing?.message.contains("does not exist") == true)
        #expect(AgentConfig.validate(path: good).isEmpty)
    }
}
