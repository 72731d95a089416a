import ArgumentParser
import PetrelSession

struct SubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sub", abstract: "Print samples on a key expression, one line each.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Key expression, wildcards allowed.") var keyExpr: String
    @Option(help: "Exit after this many samples.") var count: Int?
    @Option(help: "Exit after this many seconds (also the time allowed to reach a router).") var timeout: Double?
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        PetrelCommand.lineBufferedStdout()
        try await runTool {
            let session = try await connection.openSession(timeout: timeout ?? 10)
            let subscriber: Subscriber
            do {
                subscriber = try await session.declareSubscriber(keyExpr)
            } catch let e as SessionError {
                throw ToolError(e.description)
            }
            if let timeout {
                Task {
                    try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                    subscriber.undeclare()
                }
            }
            var n = 0
            for await sample in subscriber.samples {
                emit(json ? SampleFormatting.json(sample) : SampleFormatting.plain(sample))
                n += 1
                if let count, n >= count { break }
            }
            await session.close()
        }
    }
}
