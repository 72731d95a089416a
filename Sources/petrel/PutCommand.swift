import ArgumentParser
import PetrelSession
import PetrelWire

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Put a value on a key.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Key to put on.") var key: String
    @Argument(help: "Value (UTF-8 text).") var value: String
    @Option(help: "Encoding, e.g. text/plain or application/json.") var encoding: String?
    @Option(help: "Attachment (UTF-8 text).") var attachment: String?
    @Option(help: "Seconds to wait for a router.") var timeout: Double = 10

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

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a key.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Key to delete.") var key: String
    @Option(help: "Seconds to wait for a router.") var timeout: Double = 10

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
