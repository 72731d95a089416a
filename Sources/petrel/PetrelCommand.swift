import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct PetrelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petrel",
        abstract: "A Zenoh edge agent and tools for Linux boards.",
        subcommands: [AgentCommand.self, PutCommand.self, DeleteCommand.self, SubCommand.self, GetCommand.self,
                      QueryableCommand.self, InfoCommand.self])

    /// Kept for call sites: output goes through `emit`, one write per line.
    static func lineBufferedStdout() {}
}

/// Runs a tool body and turns failures into one stderr line and exit status 1.
func runTool(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ToolError {
        writeError("petrel: \(e.description)")
        throw ExitCode(1)
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        writeError("petrel: \(error)")
        throw ExitCode(1)
    }
}

/// Writes one line to stdout at once, so piped consumers see each sample as it
/// arrives (stdio would buffer a pipe).
func emit(_ line: String) {
    var s = line + "\n"
    s.withUTF8 { p in
        var off = 0
        while off < p.count {
            let n = write(1, p.baseAddress! + off, p.count - off)
            if n <= 0 { return }
            off += n
        }
    }
}
