import PetrelSession
import PetrelWire

struct GetCommand: ToolCommand {
    static let spec = CommandSpec(name: "get", abstract: "Query a selector and print the replies, one line each.",
                                  members: ConnectionOptions.members + [
        .argument(.init(name: "selector", help: "Selector: key expression with optional ?parameters.")),
        .option(.option("target", help: "Query target: best-matching, all, all-complete.", default: "best-matching")),
        .option(.option("consolidation", help: "Consolidation: auto, none, monotonic, latest.", default: "auto")),
        .option(.option("timeout", help: "Seconds to wait for replies (and for a router).", default: "10.0")),
        .option(.option("payload", help: "Query payload (UTF-8 text).")),
        .option(.flag("json", help: "One JSON object per line.")),
    ])

    var connection: ConnectionOptions
    var selector: String
    var target: QueryTarget
    var consolidation: ConsolidationMode
    var timeout: Double
    var payload: String?
    var json: Bool

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        selector = p.argument("selector")
        guard let target = Self.targets[p.string("target") ?? "best-matching"] else {
            throw .usage("--target must be one of best-matching, all, all-complete", command: Self.spec)
        }
        guard let consolidation = Self.modes[p.string("consolidation") ?? "auto"] else {
            throw .usage("--consolidation must be one of auto, none, monotonic, latest", command: Self.spec)
        }
        self.target = target
        self.consolidation = consolidation
        timeout = try p.double("timeout") ?? 10
        payload = p.string("payload")
        json = p.flag("json")
    }

    static let targets: [String: QueryTarget] = ["best-matching": .bestMatching, "all": .all, "all-complete": .allComplete]
    static let modes: [String: ConsolidationMode] = ["auto": .auto, "none": .none, "monotonic": .monotonic, "latest": .latest]

    func run() async throws {
        try await runTool {
            let session = try await connection.openSession(timeout: timeout)
            let replies: AsyncStream<PetrelSession.Reply>
            do {
                replies = try await session.get(selector, target: target, consolidation: consolidation,
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

struct QueryableCommand: ToolCommand {
    static let spec = CommandSpec(name: "queryable", abstract: "Answer every query on a key expression with a value.",
                                  members: ConnectionOptions.members + [
        .argument(.init(name: "key-expr", help: "Key expression to answer for.")),
        .argument(.init(name: "value", help: "Value to answer with.")),
        .option(.option("timeout", help: "Exit after this many seconds.")),
    ])

    var connection: ConnectionOptions
    var keyExpr: String
    var value: String
    var timeout: Double?

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        keyExpr = p.argument("key-expr")
        value = p.argument("value")
        timeout = try p.double("timeout")
    }

    func run() async throws {
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

struct InfoCommand: ToolCommand {
    static let spec = CommandSpec(
        name: "info",
        abstract: "Show this session's ZID, the router it reaches, and every Petrel agent in reach.",
        discussion: "Agents are found through their admin space (@/<zid>/petrel/status); each is printed as one JSON line.",
        members: ConnectionOptions.members + [
            .option(.option("timeout", help: "Seconds to wait for a router, and for agents to answer.", default: "10.0")),
        ])

    var connection: ConnectionOptions
    var timeout: Double

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        timeout = try p.double("timeout") ?? 10
    }

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
