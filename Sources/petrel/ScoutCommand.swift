import PetrelTransport
import PetrelWire

/// `petrel scout`: who answers a Zenoh Scout on the multicast group.
struct ScoutCommand: ToolCommand {
    static let spec = CommandSpec(name: "scout", abstract: "List the Zenoh routers and peers that answer a multicast Scout.", members: [
        .option(.option("what", help: "Kinds to ask for, '|'- or ','-separated: router, peer, client.", default: "router|peer")),
        .option(.option("timeout", help: "Seconds to keep scouting.", default: "3.0")),
        .option(.option("address", help: "Multicast group and port (scouting.multicast.address).", default: "224.0.0.224:7446")),
        .option(.option("interface", help: "Interface name or address to scout on (scouting.multicast.interface).", default: "auto")),
        .option(.flag("json", help: "One JSON object per line.")),
    ])

    var what: [WhatAmI]
    var timeout: Double
    var group: MulticastGroup
    var interface: String
    var json: Bool

    init(_ p: ParsedArguments) throws(CommandLineExit) {
        var kinds: [WhatAmI] = []
        for name in (p.string("what") ?? "router|peer").split(whereSeparator: { $0 == "|" || $0 == "," }) {
            guard let k = WhatAmI.allCases.first(where: { $0.description == name }) else {
                throw .usage("--what: '\(name)' is not one of router, peer, client", command: Self.spec)
            }
            kinds.append(k)
        }
        guard !kinds.isEmpty else { throw .usage("--what names no kind", command: Self.spec) }
        what = kinds
        timeout = try p.double("timeout") ?? 3
        guard timeout > 0 else { throw .usage("--timeout must be positive", command: Self.spec) }
        let address = p.string("address") ?? "224.0.0.224:7446"
        guard let g = MulticastGroup(address) else {
            throw .usage("--address: '\(address)' is not a multicast group such as 224.0.0.224:7446", command: Self.spec)
        }
        group = g
        interface = p.string("interface") ?? "auto"
        json = p.flag("json")
    }

    func run() async throws {
        try await runTool {
            let json = self.json
            let answers: [ScoutAnswer]
            do {
                // Each answer is printed as it arrives: a long timeout still shows progress.
                answers = try await MulticastScouting.scout(for: what, group: group, interface: interface, timeout: .milliseconds(Int64(timeout * 1000))) { answer in
                    emit(json ? Self.json(answer) : Self.plain(answer))
                }
            } catch let e as MulticastScouting.Failure {
                throw ToolError(e.description)
            }
            if answers.isEmpty { throw ToolError("nothing answered on \(group) within \(timeout) s") }
        }
    }

    static func plain(_ a: ScoutAnswer) -> String {
        let locators = a.hello.locators.isEmpty ? "(from \(a.source))" : a.hello.locators.joined(separator: " ")
        return "\(a.hello.zid) \(a.hello.whatAmI) \(locators)"
    }

    static func json(_ a: ScoutAnswer) -> String {
        let locators = a.hello.locators.map { "\"\(escape($0))\"" }.joined(separator: ",")
        return "{\"zid\":\"\(a.hello.zid)\",\"whatami\":\"\(a.hello.whatAmI)\",\"locators\":[\(locators)],\"source\":\"\(escape(a.source))\"}"
    }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if c.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
