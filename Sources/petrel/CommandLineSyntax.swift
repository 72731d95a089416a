/// The command line of the `petrel` tools: what each command takes, its help
/// text, and the parse of `argv` into values.
///
/// Why not swift-argument-parser: on Linux it imports FoundationEssentials (for
/// `LocalizedError` and a JSONEncoder used by `--experimental-dump-help`),
/// which with its collections and the regex runtime it pulls in was 8 MB of a
/// 20 MB stripped binary and 2.5 MB of the idle agent's resident memory. The
/// syntax and messages below follow argument-parser's, so scripts see the same
/// interface: `--name value`, `--name=value`, `-n value`, `-n=value`, `--`,
/// `-h`/`--help`, `petrel help CMD`, usage errors on stderr with exit status 64.
struct CommandSpec: Sendable {
    /// A command's option or positional argument, in the order usage lists them.
    enum Member: Sendable {
        case option(OptionSpec)
        case argument(ArgumentSpec)
    }

    var name: String
    var abstract: String
    var discussion: String?
    var members: [Member]

    var options: [OptionSpec] {
        members.compactMap { if case .option(let o) = $0 { o } else { nil } }
    }

    var arguments: [ArgumentSpec] {
        members.compactMap { if case .argument(let a) = $0 { a } else { nil } }
    }
}

/// An option taking a value (`valueName` set) or a flag.
struct OptionSpec: Sendable {
    var long: String
    var short: Character?
    /// The value's placeholder in help (`--count <count>`); nil for a flag.
    var valueName: String?
    var help: String
    var repeatable = false
    /// Shown in help as `(default: ...)`; the command applies it itself.
    var defaultText: String?

    static func option(_ long: String, short: Character? = nil, help: String, repeatable: Bool = false,
                       default defaultText: String? = nil) -> OptionSpec {
        OptionSpec(long: long, short: short, valueName: long, help: help, repeatable: repeatable, defaultText: defaultText)
    }

    static func flag(_ long: String, help: String) -> OptionSpec {
        OptionSpec(long: long, short: nil, valueName: nil, help: help)
    }

    var isFlag: Bool { valueName == nil }

    /// `--count <count>`, as usage errors name it.
    var synopsis: String { valueName.map { "--\(long) <\($0)>" } ?? "--\(long)" }

    /// `-e, --connect <connect>`, as help lists it.
    var label: String { (short.map { "-\($0), " } ?? "") + synopsis }

    var usage: String { "[\(synopsis)\(repeatable ? " ..." : "")]" }
}

/// A required positional argument.
struct ArgumentSpec: Sendable {
    var name: String
    var help: String

    var synopsis: String { "<\(name)>" }
}

/// Why the tool stops before (or instead of) running a command.
enum CommandLineExit: Error {
    /// `-h`, `--help`, `petrel help [CMD]`: print the help of `command`
    /// (nil: the tool's), exit 0.
    case help(CommandSpec?)
    /// A usage mistake: `Error: message`, an optional `Help:` line for the
    /// element at fault, the usage line; exit 64.
    case usage(String, help: String? = nil, command: CommandSpec?)
}

/// A usage mistake found once a command runs (a value out of its domain):
/// reported like a parse error, with exit status 64.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Ends the tool with this status, printing nothing more.
struct ExitCode: Error {
    var status: Int32
    init(_ status: Int32) { self.status = status }
}

/// The values given on a command line, by option (long name) and argument name.
struct ParsedArguments {
    let command: CommandSpec
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []
    private var positionals: [String: String] = [:]

    /// Parses what follows the command name.
    ///
    /// - Throws: `CommandLineExit.help` for `-h`/`--help`; `.usage` for an
    ///   unknown option, a missing value or argument, a value given to a flag,
    ///   or an argument too many (each named as argument-parser names it).
    init(_ tokens: ArraySlice<String>, for command: CommandSpec) throws(CommandLineExit) {
        self.command = command
        var positional: [String] = []
        var rest = tokens[...]
        while let token = rest.popFirst() {
            if token == "--" {
                positional.append(contentsOf: rest)
                break
            }
            if token == "-h" || token == "--help" { throw .help(command) }
            guard token.hasPrefix("-"), token.count > 1, !Self.isNumber(token) else {
                positional.append(token)
                continue
            }
            // --name, --name=value, -n, -n=value
            let body = token.hasPrefix("--") ? token.dropFirst(2) : token.dropFirst()
            let (name, inline): (Substring, String?) = body.firstIndex(of: "=").map {
                (body[..<$0], String(body[body.index(after: $0)...]))
            } ?? (body, nil)
            let spec = token.hasPrefix("--")
                ? command.options.first { $0.long == name }
                : (name.count == 1 ? command.options.first { $0.short == name.first } : nil)
            guard let spec else {
                throw .usage("Unknown option '\(inline == nil ? token : String(token.prefix { $0 != "=" }))'", command: command)
            }
            if spec.isFlag {
                if let inline {
                    throw .usage("The option '--\(spec.long)' does not take any value, but '\(inline)' was specified.", command: command)
                }
                flags.insert(spec.long)
                continue
            }
            guard let value = inline ?? rest.popFirst() else {
                throw .usage("Missing value for '\(spec.synopsis)'", help: Self.helpLine(spec.synopsis, spec.help), command: command)
            }
            if spec.repeatable {
                values[spec.long, default: []].append(value)
            } else {
                values[spec.long] = [value]
            }
        }
        let expected = command.arguments
        if positional.count > expected.count {
            throw .usage("Unexpected argument '\(positional[expected.count])'", command: command)
        }
        for (n, argument) in expected.enumerated() {
            guard n < positional.count else {
                throw .usage("Missing expected argument '\(argument.synopsis)'",
                             help: Self.helpLine(argument.synopsis, argument.help), command: command)
            }
            positionals[argument.name] = positional[n]
        }
    }

    /// Every value of a repeatable option, in order.
    func strings(_ long: String) -> [String] { values[long] ?? [] }

    /// The value of an option, nil when absent.
    func string(_ long: String) -> String? { values[long]?.last }

    func flag(_ long: String) -> Bool { flags.contains(long) }

    /// A positional argument; parsing guarantees every declared one is there.
    func argument(_ name: String) -> String { positionals[name] ?? "" }

    /// An integer option, nil when absent.
    ///
    /// - Throws: `.usage` naming the option when the value is not an integer.
    func int(_ long: String) throws(CommandLineExit) -> Int? {
        try convert(long) { Int($0) }
    }

    /// A number option (seconds...), nil when absent.
    ///
    /// - Throws: `.usage` naming the option when the value is not a finite number.
    func double(_ long: String) throws(CommandLineExit) -> Double? {
        try convert(long) { Double($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    private func convert<T>(_ long: String, _ make: (String) -> T?) throws(CommandLineExit) -> T? {
        guard let text = string(long) else { return nil }
        guard let value = make(text) else {
            let spec = command.options.first { $0.long == long }
            let synopsis = spec?.synopsis ?? "--\(long)"
            throw .usage("The value '\(text)' is invalid for '\(synopsis)'",
                         help: spec.map { Self.helpLine($0.synopsis, $0.help) }, command: command)
        }
        return value
    }

    private static func helpLine(_ synopsis: String, _ help: String) -> String {
        "Help:  \(synopsis)  \(help)"
    }

    /// `-1`, `-0.5`: values, not options.
    private static func isNumber(_ token: String) -> Bool {
        Double(token) != nil
    }
}

// MARK: - Help text

/// Help and usage text in argument-parser's layout: 80 columns,
/// labels in a 24-column gutter, long labels on a line of their own.
enum HelpText {
    static let width = 80
    static let gutter = 26

    /// `petrel --help`.
    static func tool(_ name: String, abstract: String, commands: [CommandSpec]) -> String {
        var out = wrap("OVERVIEW: \(abstract)", indent: 0) + "\n\n"
        out += "USAGE: \(name) <subcommand>\n\n"
        out += "OPTIONS:\n" + entry("-h, --help", "Show help information.") + "\n"
        out += "SUBCOMMANDS:\n"
        for c in commands { out += entry(c.name, c.abstract) }
        out += "\n  See '\(name) help <subcommand>' for detailed help.\n"
        return out
    }

    /// `petrel CMD --help`.
    static func command(_ tool: String, _ c: CommandSpec) -> String {
        var out = wrap("OVERVIEW: \(c.abstract)", indent: 0) + "\n"
        if let discussion = c.discussion {
            out += "\n" + discussion.split(separator: "\n", omittingEmptySubsequences: false)
                .map { wrap(String($0), indent: 0) }.joined(separator: "\n") + "\n"
        }
        out += "\nUSAGE: \(usage(tool, c))\n"
        if !c.arguments.isEmpty {
            out += "\nARGUMENTS:\n"
            for a in c.arguments { out += entry(a.synopsis, a.help) }
        }
        out += "\nOPTIONS:\n"
        for o in c.options {
            out += entry(o.label, o.help + (o.defaultText.map { " (default: \($0))" } ?? ""))
        }
        out += entry("-h, --help", "Show help information.") + "\n"
        return out
    }

    /// `petrel sub [--connect <connect> ...] ... <key-expr> [--count <count>]`.
    static func usage(_ tool: String, _ c: CommandSpec?) -> String {
        guard let c else { return "\(tool) <subcommand>" }
        let parts = c.members.map { member -> String in
            switch member {
            case .option(let o): o.usage
            case .argument(let a): a.synopsis
            }
        }
        return ([tool, c.name] + parts).joined(separator: " ")
    }

    /// `  label                   help, wrapped` (label alone on its line when long).
    private static func entry(_ label: String, _ help: String) -> String {
        let head = "  " + label
        let body = wrap(help, indent: gutter).dropFirst(gutter)
        if head.count < gutter {
            return head + String(repeating: " ", count: gutter - head.count) + body + "\n"
        }
        return head + "\n" + String(repeating: " ", count: gutter) + body + "\n"
    }

    /// `text` broken at spaces into lines of at most `width` columns (the
    /// last one) or `width - 1` (the others, as argument-parser counts their
    /// trailing space), every line indented by `indent` spaces; a word longer
    /// than a line stays whole.
    static func wrap(_ text: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        let words = text.split(separator: " ")
        var lines: [String] = []
        var line = ""
        for (n, word) in words.enumerated() {
            let limit = n == words.count - 1 ? width : width - 1
            if !line.isEmpty, indent + line.count + 1 + word.count > limit {
                lines.append(pad + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        lines.append(pad + line)
        return lines.joined(separator: "\n")
    }
}
