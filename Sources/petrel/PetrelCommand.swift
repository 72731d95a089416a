#if canImport(Glibc)
import Glibc
#endif

/// One `petrel` subcommand: its command line, read into the command's values,
/// and what it does.
protocol ToolCommand: Sendable {
    static var spec: CommandSpec { get }
    /// - Throws: `CommandLineExit.usage` for a value of the wrong type.
    init(_ arguments: ParsedArguments) throws(CommandLineExit)
    func run() async throws
}

@main
enum PetrelCommand {
    static let name = "petrel"
    static let abstract = "A Zenoh edge agent and tools for Linux boards."
    static let commands: [any ToolCommand.Type] = [
        AgentCommand.self, PutCommand.self, DeleteCommand.self, SubCommand.self, GetCommand.self,
        QueryableCommand.self, InfoCommand.self,
        ScoutCommand.self,
        ReplicaCommand.self,
    ]

    static func main() async {
        exit(await run(CommandLine.arguments.dropFirst()))
    }

    /// Parses `arguments` (without the program name), runs the command and
    /// returns the exit status: 0, 64 for a usage mistake, the command's own
    /// status (`ExitCode`), 1 for any other failure.
    static func run(_ arguments: ArraySlice<String>) async -> Int32 {
        var spec: CommandSpec?
        do {
            let command = try parse(arguments)
            spec = type(of: command).spec
            try await command.run()
            return 0
        } catch let exit as CommandLineExit {
            return report(exit)
        } catch let e as ExitCode {
            return e.status
        } catch let e as UsageError {
            return report(.usage(e.description, command: spec))
        } catch {
            writeError("Error: \(error)")
            return 1
        }
    }

    private static func parse(_ arguments: ArraySlice<String>) throws(CommandLineExit) -> any ToolCommand {
        guard let first = arguments.first, first != "-h", first != "--help" else { throw .help(nil) }
        if first == "help" {
            guard let name = arguments.dropFirst().first else { throw .help(nil) }
            throw .help(commands.first { $0.spec.name == name }?.spec)
        }
        guard let command = commands.first(where: { $0.spec.name == first }) else {
            throw .usage(first.hasPrefix("-") ? "Unknown option '\(first)'" : "Unexpected argument '\(first)'", command: nil)
        }
        return try command.init(ParsedArguments(arguments.dropFirst(), for: command.spec))
    }

    /// Prints help (stdout, status 0) or a usage error (stderr, status 64).
    private static func report(_ exit: CommandLineExit) -> Int32 {
        switch exit {
        case .help(let spec):
            let text = spec.map { HelpText.command(name, $0) } ?? HelpText.tool(name, abstract: abstract, commands: commands.map { $0.spec })
            emit(String(text.dropLast()))
            return 0
        case .usage(let message, let help, let spec):
            var lines = ["Error: \(message)"]
            if let help { lines.append(help) }
            lines.append("Usage: \(HelpText.usage(name, spec))")
            lines.append("  See '\(name)\(spec.map { " \($0.name)" } ?? "") --help' for more information.")
            writeError(lines.joined(separator: "\n"))
            return 64
        }
    }
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
    } catch let e as UsageError {
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
