import Logging
import PetrelSession
import PetrelKeyExpr
import PetrelTime
import PetrelTransport

/// The walk over the Zenoh-named sections; Petrel's own sections read
/// themselves (SerialSourceConfig, MQTTBridgeConfig, StorageConfig, BufferConfig).
extension AgentConfig {
    static let topLevelKeys = ["mode", "id", "connect", "listen", "timestamping", "scouting", "transport",
                               "adminspace", "log", "heartbeat", "serial", "mqtt", "storages", "buffer"]

    init(_ root: ConfigValue, _ v: ConfigValidator) {
        self.init()
        guard let top = v.object(root, "", keys: Self.topLevelKeys) else { return }

        if let m = top.value("mode") {
            mode = Self.readMode(m, "mode", v) ?? mode
        }
        id = top.read("id") { value, path in
            guard let s = v.string(value, path) else { return nil }
            guard let zid = ZenohID(s) else {
                v.report(path, "'\(s)' is not a Zenoh ID: expected 1 to 32 hex digits, not all zero", at: value.offset)
                return nil
            }
            return zid
        }

        var emptyConnect: (path: String, offset: Int)?
        if let c = top.section("connect", keys: ["endpoints", "timeout_ms"]) {
            if let raw = c.value("endpoints"), let list = v.endpoints(raw, c.childPath("endpoints")) {
                if case .array(let elements) = raw.kind, elements.isEmpty {
                    // Fine for a peer, or a client that scouts: checked once `scouting` is read.
                    emptyConnect = (c.childPath("endpoints"), raw.offset)
                    connect.endpoints = []
                    connect.endpointsGiven = true
                } else if list.count == Self.elementCount(raw) {
                    connect.endpoints = list
                    connect.endpointsGiven = true
                }
            }
            if let t = c.value("timeout_ms") {
                connect.timeoutMilliseconds = Self.perMode(t, c.childPath("timeout_ms"), v, mode: mode) { value, path in
                    v.integer(value, path, in: -1...Int(Int32.max), unit: "ms (-1 = retry forever)")
                } ?? connect.timeoutMilliseconds
            }
        }
        if let l = top.section("listen", keys: ["endpoints", "limits"]) {
            listen = l.read("endpoints", v.endpoints) ?? listen
            if let limits = l.section("limits", keys: SessionLimit.allCases.map(\.configKey)) {
                readGatewayLimits(limits, v)
            }
        }
        if let t = top.section("timestamping", keys: ["enabled"]), let e = t.value("enabled") {
            timestamping = Self.perMode(e, t.childPath("enabled"), v, mode: mode, v.bool) ?? timestamping
        }
        if let s = top.section("scouting", keys: ScoutingConfig.configKeys) {
            scouting = ScoutingConfig.read(s, mode: mode, v)
            scoutingMulticast = scouting.multicast.enabled
        }
        if let (path, offset) = emptyConnect, mode == .client, !scouting.multicast.enabled {
            v.report(path, "expected at least one router endpoint, e.g. \"tcp/192.168.1.10:7447\" (or turn on scouting.multicast to find one)", at: offset)
        }
        if let t = top.section("transport", keys: ["link", "unicast", "auth"]) {
            readTransport(t, v)
        }
        if let a = top.section("adminspace", keys: ["enabled"]) {
            adminSpace = a.read("enabled", v.bool) ?? adminSpace
        }
        if let l = top.section("log", keys: ["level"]) {
            logLevel = l.read("level") { v.choice($0, $1, Logger.Level.allCases.map { ($0.rawValue, $0) }) } ?? logLevel
        }

        if let h = top.section("heartbeat", keys: ["key", "interval"]) {
            readHeartbeat(h, v)
        }

        if let list = top.read("serial", v.array) {
            serial = list.compactMap { SerialSourceConfig($0.0, $0.1, v) }
            // One reader per port: a second one (or a Zenoh serial link on the same
            // device) would steal bytes from the first. Checked once all entries are valid,
            // so entries and their paths line up.
            var seenPorts: [String: String] = [:]
            for (n, e) in listen.enumerated() where e.proto == .serial { seenPorts[e.address] = "listen.endpoints[\(n)]" }
            for (entry, (value, path)) in zip(serial, list) where serial.count == list.count {
                if let first = seenPorts[entry.port] {
                    v.report(path + ".port", "'\(entry.port)' is already read by \(first)", at: value.offset)
                }
                seenPorts[entry.port] = path
            }
        }
        if let m = top.value("mqtt") {
            mqtt = MQTTBridgeConfig(m, top.childPath("mqtt"), v)
        }
        if let list = top.read("storages", v.array) {
            storages = list.compactMap { StorageConfig($0.0, $0.1, v) }
            StorageConfig.checkOneAligned(list, v)
        }
        if let b = top.value("buffer") {
            buffer = BufferConfig(b, "buffer", v) ?? buffer
        }
    }

    private static func elementCount(_ value: ConfigValue) -> Int {
        if case .array(let a) = value.kind { return a.count }
        return 0
    }

    /// `mode`: "client"; Zenoh's other modes are named but refused.
    static func readMode(_ value: ConfigValue, _ path: String, _ v: ConfigValidator) -> Mode? {
        guard let s = v.string(value, path) else { return nil }
        switch s {
        case "client": return .client
        case "peer": return .peer
        case "router":
            v.report(path, "\"router\" is not supported yet: the Petrel agent runs as a Zenoh client or peer (use \"client\" or \"peer\")", at: value.offset)
            return nil
        default:
            v.report(path, "expected \"client\" or \"peer\", found \"\(s)\" (Zenoh's modes are client, peer and router; Petrel supports client and peer)", at: value.offset)
            return nil
        }
    }

    /// Zenoh writes some settings per mode (`timeout_ms: { router: -1, peer: -1,
    /// client: 0 }`); accept that form too and take the value of our mode.
    static func perMode<T>(_ value: ConfigValue, _ path: String, _ v: ConfigValidator, mode: Mode = .client,
                           _ convert: (ConfigValue, String) -> T?) -> T? {
        guard case .object = value.kind else { return convert(value, path) }
        guard let o = v.object(value, path, keys: ["router", "peer", "client"]) else { return nil }
        return o.read(mode.rawValue, convert)
    }

    /// `heartbeat.key` may hold `{hostname}`, replaced by the board's host name
    /// when published, so it is checked with a stand-in chunk in its place.
    private mutating func readHeartbeat(_ h: ConfigObject, _ v: ConfigValidator) {
        heartbeat.key = h.read("key") { value, path -> String? in
            guard let s = v.string(value, path) else { return nil }
            let probe = s.replacingHostname(with: "host")
            do {
                guard !(try KeyExpr(probe)).isWild else {
                    v.report(path, "'\(s)' must not contain wildcards (*, **, $*): the heartbeat is published under it", at: value.offset)
                    return nil
                }
                return s
            } catch {
                v.report(path, "'\(s)' is not a key expression: \(error)", at: value.offset)
                return nil
            }
        } ?? heartbeat.key
        if let d = h.read("interval", v.duration) {
            let (seconds, attoseconds) = d.components
            heartbeat.intervalSeconds = Double(seconds) + Double(attoseconds) * 1e-18
        }
    }

    private mutating func readTransport(_ t: ConfigObject, _ v: ConfigValidator) {
        if let link = t.section("link", keys: ["tx", "rx", "tls"]) {
            if let tls = link.section("tls", keys: Self.tlsKeys) { readTLS(tls, v) }
            if let tx = link.section("tx", keys: ["lease", "keep_alive", "batch_size"]) {
                if let n = tx.read("lease", { v.integer($0, $1, in: 100...86_400_000, unit: "ms") }) {
                    transport.leaseMilliseconds = UInt64(n)
                }
                if let n = tx.read("keep_alive", { v.integer($0, $1, in: 1...1000) }) {
                    transport.keepAliveFactor = UInt64(n)
                }
                // Below 64 bytes not even a handshake message fits a batch.
                transport.batchSize = tx.read("batch_size") { v.integer($0, $1, in: 64...65535, unit: "bytes") } ?? transport.batchSize
            }
            if let rx = link.section("rx", keys: ["max_message_size"]) {
                transport.maxMessageSize = rx.read("max_message_size") { v.size($0, $1, in: 1024...(1 << 32)) } ?? transport.maxMessageSize
            }
        }
        if let unicast = t.section("unicast", keys: ["open_timeout", "qos"]) {
            if let n = unicast.read("open_timeout", { v.integer($0, $1, in: 1...3_600_000, unit: "ms") }) {
                transport.openTimeoutMilliseconds = Int64(n)
            }
            if let q = unicast.section("qos", keys: ["enabled"]) {
                transport.qos = q.read("enabled", v.bool) ?? transport.qos
            }
        }
        if let auth = t.section("auth", keys: ["usrpwd"]), let u = auth.section("usrpwd", keys: ["user", "password", "dictionary_file"]) {
            readUsrPwd(u, v)
        }
    }
}
