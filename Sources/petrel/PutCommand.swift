import PetrelSession
import PetrelWire

struct PutCommand: ToolCommand {
    static let spec = CommandSpec(name: "put", abstract: "Put a value on a key.", members: ConnectionOptions.members + [
        .argument(.init(name: "key", help: "Key to put on.")),
        .argument(.init(name: "value", help: "Value (UTF-8 text).")),
        .option(.option("encoding", help: "Encoding, e.g. text/plain or application/json.")),
        .option(.option("attachment", help: "Attachment (UTF-8 text).")),
        .option(.option("timeout", help: "Seconds to wait for a router.", default: "10.0")),
    ])

    var connection: ConnectionOptions
    var key: String
    var value: String
    var encoding: String?
    var attachment: String?
    var timeout: Double

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        key = p.argument("key")
        value = p.argument("value")
        encoding = p.string("encoding")
        attachment = p.string("attachment")
        timeout = try p.double("timeout") ?? 10
    }

    func run() async throws {
        try await runTool {
            let session = try await connection.openSession(timeout: timeout)
            var options = PutOptions()
            options.encoding = parseEncoding(encoding)
            options.attachment = attachment.map { Array($0.utf8)[...] }
            do {
                try await session.put(key, Array(value.utf8), options: options)
            } catch let e as SessionError {
                await session.close()
                throw ToolError(e.description)
            }
            await session.close()
        }
    }
}

struct DeleteCommand: ToolCommand {
    static let spec = CommandSpec(name: "delete", abstract: "Delete a key.", members: ConnectionOptions.members + [
        .argument(.init(name: "key", help: "Key to delete.")),
        .option(.option("timeout", help: "Seconds to wait for a router.", default: "10.0")),
    ])

    var connection: ConnectionOptions
    var key: String
    var timeout: Double

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        key = p.argument("key")
        timeout = try p.double("timeout") ?? 10
    }

    func run() async throws {
        try await runTool {
            let session = try await connection.openSession(timeout: timeout)
            do {
                try await session.delete(key)
            } catch let e as SessionError {
                await session.close()
                throw ToolError(e.description)
            }
            await session.close()
        }
    }
}
