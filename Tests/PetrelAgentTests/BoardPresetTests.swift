import Foundation
import Testing
import PetrelAgent

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Board presets")
struct BoardPresetTests {
    static let presets = ["raspberry-pi-4-5", "raspberry-pi-zero-2w", "generic-linux", "raspberry-pi-serial-gateway"]

    static func load(_ name: String) throws -> AgentConfig {
        try AgentConfig.load(path: repositoryRoot.appendingPathComponent("boards/\(name).json5").path)
    }

    @Test("every preset in boards/ parses without errors", arguments: presets)
    func presetParses(_ name: String) throws {
        let c = try Self.load(name)
        #expect(c.mode == .client)
        #expect(!c.connect.endpoints.isEmpty)
        #expect(c.timestamping && c.adminSpace)
        #expect(c.storages.count >= 1)
    }

    @Test("every .json5 file in boards/ is one of the tested presets")
    func noUntestedPreset() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("boards").path)
        let presets = files.filter { $0.hasSuffix(".json5") }.map { String($0.dropLast(6)) }.sorted()
        #expect(presets == Self.presets.sorted())
    }

    @Test("the Zero 2 W preset is the tight-memory one")
    func zeroIsTight() throws {
        let zero = try Self.load("raspberry-pi-zero-2w")
        let pi4 = try Self.load("raspberry-pi-4-5")
        #expect(zero.transport.batchSize == 8192)
        #expect(zero.transport.maxMessageSize < pi4.transport.maxMessageSize)
        #expect(zero.storages.count == 1)
        #expect(zero.storages[0].maxBytes <= 4_000_000)
        #expect(zero.buffer.maxBytes < pi4.buffer.maxBytes)
    }

    @Test("the serial gateway reads a key-value USB sensor and accepts a UART-attached microcontroller")
    func serialGateway() throws {
        let g = try Self.load("raspberry-pi-serial-gateway")
        #expect(g.serial.count == 1)
        #expect(g.serial[0].port == "/dev/ttyUSB0" && g.serial[0].format == .keyValue)
        #expect(g.listen.map(\.description) == ["serial//dev/ttyAMA0#baudrate=115200"])
    }

    @Test("the README documents every key a config can have")
    func readmeDocumentsKeys() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("boards/README.md"), encoding: .utf8)
        let keys = ["mode", "id", "connect.endpoints", "connect.timeout_ms", "listen.endpoints", "timestamping.enabled",
                    "scouting.multicast.enabled", "transport.link.tx.lease", "transport.link.tx.keep_alive",
                    "transport.link.tx.batch_size", "transport.link.rx.max_message_size", "transport.unicast.open_timeout",
                    "transport.unicast.qos.enabled", "adminspace.enabled", "log.level", "heartbeat.key", "heartbeat.interval",
                    "serial[].port", "serial[].baudrate", "serial[].format", "serial[].key", "serial[].tx_key",
                    "serial[].columns", "serial[].separator",
                    "mqtt.broker", "mqtt.client_id", "mqtt.username", "mqtt.password", "mqtt.keep_alive",
                    "mqtt.clean_session", "mqtt.tls.ca_file", "mqtt.tls.cert_file", "mqtt.tls.key_file", "mqtt.tls.insecure",
                    "mqtt.queue.max_messages", "mqtt.queue.max_bytes", "mqtt.mappings[].topic", "mqtt.mappings[].key",
                    "mqtt.mappings[].direction", "mqtt.mappings[].qos", "mqtt.mappings[].retain",
                    "storages[].key", "storages[].mode", "storages[].hot", "storages[].max_entries", "storages[].max_bytes",
                    "buffer.dir", "buffer.max_bytes", "buffer.max_age", "buffer.fsync", "buffer.when_full"]
        for key in keys {
            #expect(readme.contains("`\(key)`"), "boards/README.md does not document `\(key)`")
        }
    }
}

extension BoardPresetTests {
    @Test("the README's example parses")
    func readmeExampleParses() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("boards/README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "```json5\n").last?.components(separatedBy: "```").first)
        let c = try AgentConfig.parse(block, source: "README.md")
        #expect(c == (try AgentConfig.parse(issueExample, source: "issue")))
    }
}
