import ArgumentParser
import PetrelSession
import PetrelWire

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Query a selector and print the replies, one line each.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Selector: key expression with optional ?parameters.") var selector: String
    @Option(help: "Query target: best-matching, all, all-complete.") var target: String = "best-matching"
    @Option(help: "Consolidation: auto, none, monotonic, latest.") var consolidation: String = "auto"
    @Option(help: "Seconds to wait for replies (and for a router).") var timeout: Double = 10
    @Option(help: "Query payload (UTF-8 text).") var payload: String?
    @Flag(help: "One JSON object per line.") var json = false

    func validate() throws {
        guard Self.targets[target] != nil else { throw ValidationError("--target must be one of best-matching, all, all-complete") }
        guard Self.modes[consolidation] != nil else { throw ValidationError("--consolidation must be one of auto, none, monotonic, latest") }
    }

    static let targets: [String: QueryTarget] = ["best-matching": .bestMatching, "all": .all, "all-complete": .allComplete]
    static let modes: [String: ConsolidationMode] = ["auto": .auto, "none": .none, "monotonic": .monotonic, "latest": .latest]

    func run() async throws {
        PetrelCommand.lineBufferedStdout()
        try await runTool {
            let session = try await connection.openSession(timeout: timeout)
            let replies: AsyncStream<PetrelSession.Reply>
            do {
                replies = try await session.get(selector, target: Self.targets[target]!, consolidation: Self.modes[consolidation]!,
                                                timeout: .milliseconds(Int64(timeout * 1000)), payload: payload.map { Array($0.utf8) })
            } catch let e as SessionError {
                throw ToolError(e.description)
            }
            for await reply in replies {
                switch reply.result {
                case .success(let s):
                    emit(json ? SampleFormatting.json(s) : SampleFormatting.plain(s))
                case .failure(let e):
                    emit(json ? SampleFormatting.jsonError(e, key: nil) : "error \(SampleFormatting.text(e.payload) ?? "<\(e.payload.count) bytes>")")
                }
            }
            await session.close()
        }
    }
}

struct QueryableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queryable", abstract: "Answer every query on a key expression with a value.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Key expression to answer for.") var keyExpr: String
    @Argument(help: "Value to answer with.") var value: String
    @Option(help: "Exit after this many seconds.") var timeout: Double?

    func run() async throws {
        PetrelCommand.lineBufferedStdout()
        try await runTool {
            let session = try await connection.openSession(timeout: timeout ?? 10)
            let value = self.value
            let key = self.keyExpr
            do {
                _ = try await session.declareQueryable(keyExpr) { query in
                    // Answer on the queryable's key when it is a plain key, else on the query's.
                    let replyKey = key.contains("*") ? query.key : key
                    query.reply(replyKey, Array(value.utf8))
                    emit("query \(query.selector)")
                }
            } catch let e as SessionError {
                throw ToolError(e.description)
            }
            if let timeout {
                try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            } else {
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
            await session.close()
        }
    }
}

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show this session's ZID, the router it reaches, and every Petrel agent in reach.",
        discussion: "Agents are found through their admin space (@/<zid>/petrel/status); each is printed as one JSON line.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Seconds to wait for a router, and for agents to answer.") var timeout: Double = 10

    func run() async throws {
        try await runTool {
            let session = try await connection.openSession(timeout: timeout)
            emit("zid: \(session.zid)")
            if let t = session.currentTransport {
                let p = t.parameters
                emit("routers: \(p.remoteWhatAmI == .router ? "\(p.remoteZID) (\(t.endpoint))" : "")")
                emit("peers: \(p.remoteWhatAmI == .peer ? "\(p.remoteZID) (\(t.endpoint))" : "")")
                emit("link: batch \(p.batchSize) bytes, qos \(p.qos), lease \(p.remoteLeaseMilliseconds) ms")
            }
            var agents: [String] = []
            for await reply in try await session.get("@/*/petrel/status", target: .all, consolidation: .none,
                                                      timeout: .milliseconds(Int64(min(timeout, 2) * 1000))) {
                if let s = reply.sample, let text = SampleFormatting.text(s.payload) { agents.append(text) }
            }
            emit("agents: \(agents.count)")
            for a in agents { emit(a) }
            await session.close()
        }
    }
}
