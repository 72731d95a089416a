import Foundation
import Testing
@testable import PetrelAgent

/// The first error `text` gives; fails the test if it parses.
private func firstError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        _ = try AgentConfig.parse(text, source: "config.json5")
        Issue.record("expected an error for: \(text)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("Configuration errors name the key path and what was expected")
struct ConfigErrorTests {
    @Test("unknown key: names the path, lists the known keys, suggests the closest")
    func unknownKey() throws {
        let e = try #require(firstError("{ mqtt: { brokr: 'tcp/127.0.0.1:1883', mappings: [] } }"))
        #expect(e.path == "mqtt.brokr")
        #expect(e.message.contains("unknown key"))
        #expect(e.message.contains("did you mean 'broker'?"))
        #expect(e.message.contains("expected one of: broker, client_id, username"))
        #expect(e.description.hasPrefix("config.json5:1:11: 'mqtt.brokr': unknown key"))

        let top = try #require(firstError("{ conect: { endpoints: [] } }"))
        #expect(top.path == "conect")
        #expect(top.message.contains("did you mean 'connect'?"))

        let deep = try #require(firstError("{ transport: { link: { tx: { batchsize: 8192 } } } }"))
        #expect(deep.path == "transport.link.tx.batchsize")
        #expect(deep.message.contains("batch_size"))

        let inArray = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0', key: 'a', baud: 9600 } ] }"))
        #expect(inArray.path == "serial[0].baud")
        #expect(inArray.message.contains("baudrate"))
    }

    @Test("wrong type: 'expected X, found Y'")
    func wrongType() throws {
        let e = try #require(firstError(#"{ connect: { endpoints: ["tcp/127.0.0.1:7447", 7447] } }"#))
        #expect(e.path == "connect.endpoints[1]")
        #expect(e.message.hasPrefix("expected a string, found a number"))
        #expect(e.description.hasPrefix("config.json5:1:48: 'connect.endpoints[1]': expected a string, found a number"))

        let section = try #require(firstError(#"{ connect: "tcp/127.0.0.1:7447" }"#))
        #expect(section.path == "connect")
        #expect(section.message.hasPrefix("expected an object, found a string"))

        let list = try #require(firstError(#"{ serial: { port: "/dev/ttyUSB0" } }"#))
        #expect(list.path == "serial")
        #expect(list.message.hasPrefix("expected an array, found an object"))

        let flag = try #require(firstError("{ timestamping: { enabled: 'yes' } }"))
        #expect(flag.path == "timestamping.enabled")
        #expect(flag.message.hasPrefix("expected true or false, found a string"))

        let fraction = try #require(firstError("{ transport: { link: { tx: { keep_alive: 2.5 } } } }"))
        #expect(fraction.path == "transport.link.tx.keep_alive")
        #expect(fraction.message.hasPrefix("expected a whole number, found a number (2.5)"))
    }

    @Test("bad value: out of range, not one of the choices, unsupported mode")
    func badValue() throws {
        let qos = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883', mappings: [ { topic: 't', key: 'k', qos: 3 } ] } }"))
        #expect(qos.path == "mqtt.mappings[0].qos")
        #expect(qos.message == "expected 0, 1 or 2, found 3")

        let batch = try #require(firstError("{ transport: { link: { tx: { batch_size: 70000 } } } }"))
        #expect(batch.path == "transport.link.tx.batch_size")
        #expect(batch.message == "expected a number from 64 to 65535 bytes, found 70000")

        let format = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0', key: 'a', format: 'xml' } ] }"))
        #expect(format.path == "serial[0].format")
        #expect(format.message == #"expected "lines", "key-value", "json" or "csv", found "xml""#)

        let level = try #require(firstError("{ log: { level: 'verbose' } }"))
        #expect(level.path == "log.level")
        #expect(level.message.contains(#""trace", "debug", "info", "notice", "warning", "error" or "critical""#))

        #expect(AgentConfig.validate("{ mode: 'peer' }", source: "config.json5").isEmpty)
        let router = try #require(firstError("{ mode: 'router' }"))
        #expect(router.path == "mode")
        #expect(router.message.contains("not supported yet"))

        let id = try #require(firstError("{ id: 'xyz' }"))
        #expect(id.path == "id")
        #expect(id.message.contains("not a Zenoh ID"))

        let heartbeat = try #require(firstError("{ heartbeat: { key: '{hostname}/**' } }"))
        #expect(heartbeat.path == "heartbeat.key")
        #expect(heartbeat.message.contains("must not contain wildcards"))

        let fsync = try #require(firstError("{ buffer: { fsync: 'sometimes' } }"))
        #expect(fsync.path == "buffer.fsync")
        #expect(fsync.message.contains("every-100ms"))

        let columns = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0', key: 'a', columns: ['x'] } ] }"))
        #expect(columns.path == "serial[0].columns")
        #expect(columns.message.contains("only applies to format \"csv\""))

        let topic = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883', mappings: [ { topic: 'a/#/b', key: 'k' } ] } }"))
        #expect(topic.path == "mqtt.mappings[0].topic")
        #expect(topic.message.contains("'#' must be the whole last level"))

        let broker = try #require(firstError("{ mqtt: { broker: 'udp/h:1883', mappings: [ { topic: 't', key: 'k' } ] } }"))
        #expect(broker.path == "mqtt.broker")
        #expect(broker.message.contains("expected a tcp/HOST:PORT broker address"))

        let session = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883', clean_session: false, mappings: [ { topic: 't', key: 'k' } ] } }"))
        #expect(session.path == "mqtt.clean_session")
        #expect(session.message.contains("client_id"))

        let duplicatePort = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0', key: 'a' }, { port: '/dev/ttyUSB0', key: 'b' } ] }"))
        #expect(duplicatePort.path == "serial[1].port")
        #expect(duplicatePort.message.contains("already read by serial[0]"))
        let linkPort = try #require(firstError("{ listen: { endpoints: ['serial//dev/ttyAMA0'] }, serial: [ { port: '/dev/ttyAMA0', key: 'a' } ] }"))
        #expect(linkPort.path == "serial[0].port")
        #expect(linkPort.message.contains("already read by listen.endpoints[0]"))
    }

    @Test("bad endpoint: the path and the endpoint parser's reason")
    func badEndpoint() throws {
        let e = try #require(firstError(#"{ connect: { endpoints: ["tcp/192.168.1.10"] } }"#))
        #expect(e.path == "connect.endpoints[0]")
        #expect(e.message == "'tcp/192.168.1.10' is not an endpoint: missing ':PORT' (expected HOST:PORT)")

        let proto = try #require(firstError(#"{ listen: { endpoints: ["udp/0.0.0.0:7447", "quic/0.0.0.0:7447"] } }"#))
        #expect(proto.path == "listen.endpoints[1]")
        #expect(proto.message.contains("unsupported protocol 'quic'"))

        let port = try #require(firstError(#"{ connect: { endpoints: ["tcp/h:99999"] } }"#))
        #expect(port.message.contains("port '99999' is not a number from 0 to 65535"))

        let empty = try #require(firstError(#"{ connect: { endpoints: [] } }"#))
        #expect(empty.path == "connect.endpoints")
        #expect(empty.message.contains("at least one"))
    }

    @Test("bad duration and bad size: what such a value looks like")
    func badDurationAndSize() throws {
        let hot = try #require(firstError("{ storages: [ { key: 'a/**', mode: 'time-series', hot: '10 minutes' } ] }"))
        #expect(hot.path == "storages[0].hot")
        #expect(hot.message.hasPrefix("'10 minutes' is not a duration such as 30s, 10m, 2h"))

        let age = try #require(firstError("{ buffer: { max_age: 3600 } }"))
        #expect(age.path == "buffer.max_age")
        #expect(age.message.hasPrefix("expected a duration string such as \"30s\""))

        let size = try #require(firstError("{ buffer: { max_bytes: '32 megs' } }"))
        #expect(size.path == "buffer.max_bytes")
        #expect(size.message.hasPrefix("'32 megs' is not a size such as 512KB, 32MB, 1GiB"))

        let small = try #require(firstError("{ buffer: { max_bytes: '1KB' } }"))
        #expect(small.message == "expected a size at least 64KiB, found 1000 bytes")

        let unquoted = try #require(firstError("{ storages: [ { key: 'a', mode: 'time-series', hot: 10m } ] }"))
        #expect(unquoted.path == "storages[0].hot")
        #expect(unquoted.message.contains("write durations and sizes as strings, e.g. \"10m\""))
    }

    @Test("bad key expression: the path and the key-expression reason")
    func badKeyExpression() throws {
        let e = try #require(firstError("{ storages: [ { key: 'farm//pi1' } ] }"))
        #expect(e.path == "storages[0].key")
        #expect(e.message.hasPrefix("'farm//pi1' is not a key expression: empty chunk"))

        let wild = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0', key: 'farm/*/air' } ] }"))
        #expect(wild.path == "serial[0].key")
        #expect(wild.message.contains("must not contain wildcards"))

        let mapping = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883', mappings: [ { topic: 't', key: 'a/#' } ] } }"))
        #expect(mapping.path == "mqtt.mappings[0].key")
        #expect(mapping.message.contains("forbidden character '#'"))
    }

    @Test("missing required key: names the key and what to write")
    func missingRequiredKey() throws {
        let port = try #require(firstError("{ serial: [ { key: 'farm/pi1/air' } ] }"))
        #expect(port.path == "serial[0].port")
        #expect(port.message.hasPrefix("missing required key: the serial device path"))

        let key = try #require(firstError("{ serial: [ { port: '/dev/ttyUSB0' } ] }"))
        #expect(key.path == "serial[0].key")

        let broker = try #require(firstError("{ mqtt: { mappings: [ { topic: 't', key: 'k' } ] } }"))
        #expect(broker.path == "mqtt.broker")

        let mappings = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883' } }"))
        #expect(mappings.path == "mqtt.mappings")

        let storage = try #require(firstError("{ storages: [ { mode: 'key-value' } ] }"))
        #expect(storage.path == "storages[0].key")

        let tls = try #require(firstError("{ mqtt: { broker: 'tcp/h:1883', tls: { cert_file: '/c.pem' }, mappings: [ { topic: 't', key: 'k' } ] } }"))
        #expect(tls.path == "mqtt.tls.key_file")
    }

    @Test("missing serial port on the system: checkSystem names serial[0].port")
    func missingSerialPort() throws {
        let c = try AgentConfig.parse("""
            { serial: [ { port: "/dev/null", key: "ok" }, { port: "/dev/ttyPETRELMISSING0", key: "gone" } ],
              listen: { endpoints: ["serial//dev/ttyPETRELMISSING1#baudrate=115200"] },
              buffer: { dir: "\(FileManager.default.temporaryDirectory.path)/petrel-h7-check" } }
            """, source: "config.json5")
        let problems = c.checkSystem()
        #expect(problems.map(\.path) == ["serial[1].port", "listen.endpoints[0]"])
        #expect(problems[0].message.contains("'/dev/ttyPETRELMISSING0' does not exist"))
        #expect(problems[0].description.hasPrefix("'serial[1].port': '/dev/ttyPETRELMISSING0' does not exist"))

        let notDevice = try AgentConfig.parse("{ serial: [ { port: '/etc/passwd', key: 'x' } ] }", source: "c")
        #expect(notDevice.checkSystem().first?.message.contains("not a serial device") == true)
    }

    @Test("syntax errors: line, column and the enclosing key path")
    func syntaxError() throws {
        let missingComma = try #require(firstError("{\n  mode: \"client\"\n  log: { level: \"info\" }\n}"))
        #expect(missingComma.line == 3 && missingComma.column == 3)
        #expect(missingComma.path == "mode")
        #expect(missingComma.message.hasPrefix("syntax error: unexpected 'l': expected ',' or '}'"))
        #expect(missingComma.description.hasPrefix("config.json5:3:3: 'mode': syntax error"))

        let unquoted = try #require(firstError("{ mode: client }"))
        #expect(unquoted.path == "mode")
        #expect(unquoted.message.contains("strings must be quoted (\"client\")"))

        let unclosed = try #require(firstError("{\n  serial: [ { port: '/dev/ttyUSB0', key: 'a' }\n"))
        #expect(unclosed.path == "serial")
        #expect(unclosed.message.contains("'[' opened on line 2 is not closed"))

        let duplicate = try #require(firstError("{ log: { level: 'info' },\n  log: { level: 'debug' } }"))
        #expect(duplicate.path == "log")
        #expect(duplicate.message.contains("duplicate key (first set on line 1)"))
        #expect(duplicate.line == 2)

        let empty = try #require(firstError("  // just a comment\n"))
        #expect(empty.message.contains("the file is empty"))

        let notObject = try #require(firstError("[1, 2]"))
        #expect(notObject.path == "")
        #expect(notObject.message.hasPrefix("expected an object, found an array"))

        let string = try #require(firstError("{ mode: 'cli\nent' }"))
        #expect(string.message.contains("line break inside a string"))
        #expect(string.line == 1 && string.column == 13)
    }

    @Test("validate lists every problem in file order")
    func validateListsAll() {
        let errors = AgentConfig.validate("""
            {
              mode: "router",
              connect: { endpoints: ["tcp/nohost"] },
              serial: [ { baudrate: "fast" } ],
              buffer: { max_age: "forever" },
            }
            """, source: "config.json5")
        #expect(errors.map(\.path) == ["mode", "connect.endpoints[0]", "serial[0].port", "serial[0].key", "serial[0].baudrate", "buffer.max_age"])
        #expect(errors.allSatisfy { $0.file == "config.json5" && $0.line != nil })
    }
}
