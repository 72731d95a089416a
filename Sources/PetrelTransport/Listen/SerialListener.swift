import NIOCore

enum SerialListener {
    static func start(_ endpoint: Endpoint, accept: SessionAcceptor, group: EventLoopGroup) async throws -> TransportListener {
        throw TransportError.link("serial listening is not wired yet: \(endpoint)")
    }
}
