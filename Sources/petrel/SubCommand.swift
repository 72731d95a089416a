import PetrelSession
import Synchronization

struct SubCommand: ToolCommand {
    static let spec = CommandSpec(name: "sub", abstract: "Print samples on a key expression, one line each.",
                                  members: ConnectionOptions.members + [
        .argument(.init(name: "key-expr", help: "Key expression, wildcards allowed.")),
        .option(.option("count", help: "Exit after this many samples.")),
        .option(.option("timeout", help: "Exit after this many seconds (also the time allowed to reach a router).")),
        .option(.flag("json", help: "One JSON object per line.")),
    ])

    var connection: ConnectionOptions
    var keyExpr: String
    var count: Int?
    var timeout: Double?
    var json: Bool

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        connection = ConnectionOptions(p)
        keyExpr = p.argument("key-expr")
        count = try p.int("count")
        timeout = try p.double("timeout")
        json = p.flag("json")
    }

    func run() async throws {
        try await runTool {
            let session = try await connection.openSession(timeout: timeout ?? 10)
            let done = Done()
            let json = self.json
            let count = self.count
            // Lines are written from the link's thread as samples arrive: a slow
            // reader of our stdout slows the link down instead of growing a queue.
            let printer = SamplePrinter(json: json, count: count, done: done)
            do {
                _ = try await session.declareSubscriber(keyExpr) { sample in printer.print(sample) }
            } catch let e as SessionError {
                throw ToolError(e.description)
            }
            if let timeout {
                Task {
                    try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                    done.finish()
                }
            }
            await done.wait()
            await session.close()
        }
    }
}

/// Prints samples and signals when `count` were printed.
final class SamplePrinter: Sendable {
    let json: Bool
    let count: Int?
    let done: Done
    private let printed = Mutex(0)

    init(json: Bool, count: Int?, done: Done) {
        self.json = json
        self.count = count
        self.done = done
    }

    func print(_ sample: Sample) {
        let (shouldPrint, finished) = printed.withLock { n -> (Bool, Bool) in
            if let count, n >= count { return (false, true) }
            n += 1
            return (true, count.map { n >= $0 } ?? false)
        }
        if shouldPrint { emit(json ? SampleFormatting.json(sample) : SampleFormatting.plain(sample)) }
        if finished { done.finish() }
    }
}

/// A one-shot signal a task can wait for.
final class Done: Sendable {
    private let state = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func finish() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.finished { return [] }
            s.finished = true
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.finished { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
