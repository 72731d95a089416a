import Logging
import PetrelAgent
import PetrelAlignment
import PetrelHotStore
import PetrelKeyExpr
import PetrelReplication
import PetrelTime
import PetrelTransport

#if canImport(Glibc)
import Glibc
#endif

/// `petrel replica`: an upstream storage replica beside a Zenoh router.
struct ReplicaCommand: ToolCommand {
    static let spec = CommandSpec(
        name: "replica",
        abstract: "Run a storage replica beside a Zenoh router: every era, durable, aligned with the other replicas and the edges.",
        discussion: """
            Connects to the router as a client (retrying while none answers), stores every sample under --key \
            in --dir (last writer wins by timestamp, deletes kept as tombstones), answers gets on --key, and \
            aligns with the other aligners: digests on @-digest/<zid>, its aligner on @-aligner/<zid>/**. \
            With --dump, prints the stored state (key, timestamp, tombstone) of --dir as JSON and exits.
            SIGTERM/SIGINT close the session and exit 0.
            """,
        members: [
            .option(.option("key", short: "k", help: "Key expression to replicate, e.g. site/**.")),
            .option(.option("connect", short: "e", help: "Router endpoint (repeatable).", repeatable: true)),
            .option(.option("dir", short: "d", help: "Data directory of the store (required unless --memory).")),
            .option(.flag("memory", help: "Keep the store in memory only (nothing survives a restart).")),
            .option(.option("id", help: "Zenoh ID (hex); random by default.")),
            .option(.option("digest-interval", help: "Seconds between digests.", default: "1.0")),
            .option(.option("max-clock-drift", help: "Milliseconds a remote timestamp may be ahead of this clock.", default: "500")),
            .option(.flag("dump", help: "Print the stored state of --dir as JSON and exit.")),
            .option(.flag("verbose", help: "Log at debug level.")),
        ])

    var key: String?
    var connect: [String]
    var dir: String?
    var memory: Bool
    var id: String?
    var digestInterval: Double
    var maxClockDrift: Int
    var dump: Bool
    var verbose: Bool

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        key = p.string("key")
        connect = p.strings("connect")
        dir = p.string("dir")
        memory = p.flag("memory")
        id = p.string("id")
        digestInterval = try p.double("digest-interval") ?? 1
        maxClockDrift = try p.int("max-clock-drift") ?? 500
        dump = p.flag("dump")
        verbose = p.flag("verbose")
    }

    func options() throws -> ReplicaOptions {
        guard let key else { throw UsageError("--key is required (the key expression to replicate, e.g. site/**)") }
        let k: KeyExpr
        do { k = try KeyExpr(key) } catch { throw UsageError("--key: \(error)") }
        var endpoints: [Endpoint] = []
        for t in connect.isEmpty ? [ConnectionOptions.defaultEndpoint] : connect {
            do { endpoints.append(try Endpoint(t)) } catch { throw UsageError("--connect: \(error)") }
        }
        guard memory || dir != nil else { throw UsageError("--dir is required (or --memory for a store that does not survive restarts)") }
        guard digestInterval >= 0.01 && digestInterval <= 3600 else { throw UsageError("--digest-interval: between 0.01 and 3600 seconds") }
        guard maxClockDrift >= 1 && maxClockDrift <= 3_600_000 else { throw UsageError("--max-clock-drift: between 1 and 3600000 milliseconds") }
        var o = ReplicaOptions(key: k, connect: endpoints)
        o.directory = memory ? nil : dir
        if let id {
            guard let z = ZenohID(id) else { throw UsageError("--id: '\(id)' is not a Zenoh ID (1 to 16 bytes in hex)") }
            o.zid = z
        }
        o.digestInterval = .milliseconds(Int64(digestInterval * 1000))
        o.maxClockDrift = .milliseconds(Int64(maxClockDrift))
        o.clockOffsetMilliseconds = OffsetClock.fromEnvironment(ProcessEnvironment.current()).offsetMilliseconds
        return o
    }

    func run() async throws {
        let o = try options()
        if dump {
            guard let dir = o.directory else { throw UsageError("--dump needs --dir") }
            try await runTool {
                let store = try HotStore.open(directory: dir, keyExpr: o.key, mode: .keyValue)
                let entries = store.latestEntries()
                    .map { AlignmentEntry(key: $0.key, timestamp: $0.timestamp, isTombstone: $0.kind == .delete) }
                    .sorted { $0.key < $1.key }
                store.close()
                emit(AlignerState.json(entries, zid: o.zid ?? ZenohID(high: 0, low: 1)!, scope: o.key))
            }
            return
        }
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "petrel.replica")
        let replica: Replica
        do {
            replica = try await Replica.start(o, logger: logger)
        } catch {
            writeError("petrel: replica failed to start: \(error)")
            throw ExitCode(1)
        }
        let done = AsyncStream<Void>.makeStream()
        let signals = SignalHandlers()
        signals.on(SIGTERM) { done.continuation.finish() }
        signals.on(SIGINT) { done.continuation.finish() }
        for await _ in done.stream {}
        signals.cancel()
        await replica.stop()
        logger.info("replica stopped")
    }
}
