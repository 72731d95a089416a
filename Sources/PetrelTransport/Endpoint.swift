/// Where a link goes, in Zenoh's endpoint syntax:
/// `PROTOCOL/ADDRESS[?METADATA][#CONFIG]`, e.g. `tcp/127.0.0.1:7447`,
/// `udp/[::1]:7447`, `tcp/router.local:7447`, `serial//dev/ttyUSB0#baudrate=115200`.
/// Metadata and config are `;`-separated `key=value` lists.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public enum LinkProtocol: String, Sendable, CaseIterable {
        case tcp, udp, serial
        /// TCP inside TLS (SwiftNIO SSL): `tls/router.example.com:7447`.
        case tls
    }

    public var proto: LinkProtocol
    /// Everything between `PROTOCOL/` and `?`/`#`: `host:port` for IP links, a device path for serial.
    public var address: String
    public var metadata: [String: String]
    public var config: [String: String]

    /// Host and port of an IP endpoint (brackets removed from IPv6 literals).
    public var host: String
    public var port: Int

    public init(_ text: String) throws(EndpointError) {
        guard let slash = text.firstIndex(of: "/") else {
            throw EndpointError(text, "missing protocol: expected PROTOCOL/ADDRESS such as tcp/127.0.0.1:7447")
        }
        let protoText = String(text[..<slash])
        guard let proto = LinkProtocol(rawValue: protoText) else {
            throw EndpointError(text, "unsupported protocol '\(protoText)': expected one of \(LinkProtocol.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var rest = Substring(text[text.index(after: slash)...])
        var configText: Substring = ""
        var metadataText: Substring = ""
        if let hash = rest.firstIndex(of: "#") {
            configText = rest[rest.index(after: hash)...]
            rest = rest[..<hash]
        }
        if let q = rest.firstIndex(of: "?") {
            metadataText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        self.proto = proto
        self.address = String(rest)
        self.metadata = try Self.parseList(metadataText, text, "metadata")
        self.config = try Self.parseList(configText, text, "config")
        self.host = ""
        self.port = 0
        switch proto {
        case .tcp, .udp, .tls:
            (host, port) = try Self.parseHostPort(rest, text)
        case .serial:
            guard !rest.isEmpty else { throw EndpointError(text, "missing serial device path, e.g. serial//dev/ttyUSB0") }
        }
    }

    public init(proto: LinkProtocol, host: String, port: Int) {
        self.proto = proto
        self.host = host
        self.port = port
        self.address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.metadata = [:]
        self.config = [:]
    }

    static func parseHostPort(_ s: Substring, _ text: String) throws(EndpointError) -> (String, Int) {
        var host: Substring
        var portText: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { throw EndpointError(text, "IPv6 address is missing its closing ']'") }
            host = s[s.index(after: s.startIndex)..<close]
            let after = s[s.index(after: close)...]
            guard after.hasPrefix(":") else { throw EndpointError(text, "missing ':PORT' after the IPv6 address") }
            portText = after.dropFirst()
        } else {
            guard let colon = s.lastIndex(of: ":") else { throw EndpointError(text, "missing ':PORT' (expected HOST:PORT)") }
            host = s[..<colon]
            portText = s[s.index(after: colon)...]
            if host.contains(":") { throw EndpointError(text, "IPv6 addresses must be written in brackets, e.g. tcp/[::1]:7447") }
        }
        guard !host.isEmpty else { throw EndpointError(text, "missing host before ':PORT'") }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw EndpointError(text, "port '\(portText)' is not a number from 0 to 65535")
        }
        return (String(host), port)
    }

    static func parseList(_ s: Substring, _ text: String, _ what: String) throws(EndpointError) -> [String: String] {
        var out: [String: String] = [:]
        for item in s.split(separator: ";") where !item.isEmpty {
            guard let eq = item.firstIndex(of: "=") else {
                throw EndpointError(text, "\(what) item '\(item)' is not key=value")
            }
            out[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return out
    }

    public var description: String {
        var s = "\(proto.rawValue)/\(address)"
        if !metadata.isEmpty { s += "?" + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
        if !config.isEmpty { s += "#" + config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
        return s
    }
}

/// A malformed endpoint string, with what is wrong with it.
public struct EndpointError: Error, Equatable, Sendable, CustomStringConvertible {
    public var endpoint: String
    public var reason: String
    public init(_ endpoint: String, _ reason: String) {
        self.endpoint = endpoint
        self.reason = reason
    }
    public var description: String { "invalid endpoint '\(endpoint)': \(reason)" }
}
