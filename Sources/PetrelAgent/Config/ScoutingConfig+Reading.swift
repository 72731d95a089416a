import PetrelSession
import PetrelTransport
import PetrelWire

/// The `scouting` section, with Zenoh's keys and value forms: a list of kinds
/// (`["router", "peer"]`) or one per mode (`{ router: [], peer: [...], client: [...] }`),
/// a bool or one per mode for `multicast.listen`.
extension ScoutingConfig {
    static let configKeys = ["timeout", "delay", "multicast", "gossip"]
    static let multicastKeys = ["enabled", "address", "interface", "ttl", "autoconnect", "autoconnect_strategy", "listen"]
    static let gossipKeys = ["enabled", "multihop", "target", "autoconnect", "autoconnect_strategy"]

    static func read(_ s: ConfigObject, mode: AgentConfig.Mode, _ v: ConfigValidator) -> ScoutingConfig {
        var c = ScoutingConfig()
        if let ms = s.read("timeout", { v.integer($0, $1, in: 0...3_600_000, unit: "ms") }) { c.timeout = .milliseconds(ms) }
        // `delay` (a peer's initial scouting pause) is accepted; Petrel peers do not wait for it.
        _ = s.read("delay", { v.integer($0, $1, in: 0...3_600_000, unit: "ms") })
        if let m = s.section("multicast", keys: multicastKeys) {
            c.multicast.enabled = m.read("enabled", v.bool) ?? c.multicast.enabled
            if let a = m.read("address", { value, path -> String? in
                guard let text = v.string(value, path) else { return nil }
                guard MulticastGroup(text) != nil else {
                    v.report(path, "'\(text)' is not a multicast group: expected IPv4 ADDRESS:PORT in 224.0.0.0/4, e.g. \"224.0.0.224:7446\"", at: value.offset)
                    return nil
                }
                return text
            }) { c.multicast.address = a }
            c.multicast.interface = m.read("interface", v.nonEmptyString) ?? c.multicast.interface
            c.multicast.ttl = m.read("ttl", { v.integer($0, $1, in: 1...255) }) ?? c.multicast.ttl
            if let kinds = m.read("autoconnect", { kindsPerMode($0, $1, mode: mode, allowed: WhatAmI.allCases, v) }) {
                c.multicast.autoconnect = kinds
            }
            _ = m.read("autoconnect_strategy", { strategy($0, $1, v) })
            if let listen = m.read("listen", { value, path -> Bool? in
                guard case .object = value.kind else { return v.bool(value, path) }
                guard let o = v.object(value, path, keys: ["router", "peer", "client"]) else { return nil }
                // Every mode's value is checked; ours is taken.
                let values = ["router", "peer", "client"].map { ($0, o.read($0, v.bool)) }
                return values.first { $0.0 == mode.rawValue }?.1 ?? nil
            }) { c.multicast.listen = listen }
        }
        if let g = s.section("gossip", keys: gossipKeys) {
            c.gossip.enabled = g.read("enabled", v.bool) ?? c.gossip.enabled
            c.gossip.multihop = g.read("multihop", v.bool) ?? c.gossip.multihop
            if let kinds = g.read("target", { kindsPerMode($0, $1, mode: mode, allowed: [.router, .peer], v) }) { c.gossip.target = kinds }
            if let kinds = g.read("autoconnect", { kindsPerMode($0, $1, mode: mode, allowed: WhatAmI.allCases, v) }) {
                c.gossip.autoconnect = kinds
            }
            _ = g.read("autoconnect_strategy", { strategy($0, $1, v) })
        }
        return c
    }

    /// A list of node kinds, or an object giving one list per mode (our mode's is taken).
    private static func kindsPerMode(_ value: ConfigValue, _ path: String, mode: AgentConfig.Mode,
                                     allowed: [WhatAmI], _ v: ConfigValidator) -> [WhatAmI]? {
        if case .object = value.kind {
            guard let o = v.object(value, path, keys: ["router", "peer", "client"]) else { return nil }
            // Every mode's list is checked; ours is taken.
            let lists = ["router", "peer", "client"].map { m in (m, o.read(m) { kinds($0, $1, allowed: allowed, v) }) }
            return lists.first { $0.0 == mode.rawValue }?.1 ?? nil
        }
        return kinds(value, path, allowed: allowed, v)
    }

    private static func kinds(_ value: ConfigValue, _ path: String, allowed: [WhatAmI], _ v: ConfigValidator) -> [WhatAmI]? {
        guard let elements = v.array(value, path) else { return nil }
        var out: [WhatAmI] = []
        for (e, p) in elements {
            guard let k = v.choice(e, p, allowed.map { ($0.description, $0) }) else { return nil }
            if !out.contains(k) { out.append(k) }
        }
        return out
    }

    /// `autoconnect_strategy`: accepted in Zenoh's forms; Petrel always dials
    /// ("always") and keeps one transport per pair when both ends dialled.
    private static func strategy(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) -> Bool? {
        let options: [(String, Bool)] = [("always", true), ("greater-zid", true)]
        guard case .object(let members) = value.kind else { return v.choice(value, path, options) }
        for m in members {
            let p = path + "." + m.key
            if case .object = m.value.kind {
                guard let o = v.object(m.value, p, keys: ["to_router", "to_peer"]) else { return nil }
                _ = o.read("to_router") { v.choice($0, $1, options) }
                _ = o.read("to_peer") { v.choice($0, $1, options) }
            } else if ["to_router", "to_peer"].contains(m.key) {
                _ = v.choice(m.value, p, options)
            } else if !["router", "peer", "client"].contains(m.key) {
                v.report(p, "unknown key (expected one of: router, peer, client, to_router, to_peer)", at: m.keyOffset)
            } else {
                _ = v.choice(m.value, p, options)
            }
        }
        return true
    }
}
