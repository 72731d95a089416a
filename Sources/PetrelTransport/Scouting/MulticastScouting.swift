import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PetrelTime
import PetrelWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A multicast group and port as Zenoh's `scouting.multicast.address` writes
/// it: `224.0.0.224:7446` (IPv4, 224.0.0.0/4).
public struct MulticastGroup: Sendable, Equatable, CustomStringConvertible {
    public var address: String
    public var port: Int

    /// nil unless `text` is `A.B.C.D:PORT` with A in 224...239 and PORT in 1...65535.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard octets.count == 4, octets.allSatisfy({ $0.map { (0...255).contains($0) } ?? false }), (224...239).contains(octets[0]!) else { return nil }
        self.address = host
        self.port = port
    }

    public var description: String { "\(address):\(port)" }
}

/// What answered a Scout: a Hello, and the address it came from (used when
/// the Hello carries no locators).
public struct ScoutAnswer: Sendable, Equatable {
    public var hello: Hello
    public var source: String
}

/// Zenoh's multicast scouting (zenoh-wire.md §15) over UDP: Scouts go to the
/// group from an ephemeral socket and Hellos come back to it unicast; a
/// responder joins the group on its port and answers each matching Scout
/// with a Hello sent to the Scout's source.
public enum MulticastScouting {
    /// Why scouting could not start: the group cannot be joined or the
    /// interface does not exist.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The IPv4 address of `interface` ("auto": nil, the kernel picks by route).
    static func interfaceAddress(_ interface: String) throws(Failure) -> (in_addr, NIONetworkDevice)? {
        guard interface != "auto" else { return nil }
        let devices = (try? System.enumerateDevices()) ?? []
        for d in devices where d.name == interface || d.address?.ipAddress == interface {
            if case .v4(let a)? = d.address { return (a.address.sin_addr, d) }
        }
        throw Failure(description: "no network interface '\(interface)' with an IPv4 address (scouting.multicast.interface)")
    }

    /// Sends Scouts for `what` to `group` (again after 1 s, doubling up to
    /// 8 s, as Zenoh does) and calls `onAnswer` for each Hello (from other
    /// nodes: our own `zid` is skipped), until `timeout` passes or the task is
    /// cancelled. Returns every distinct answer, first come first.
    @discardableResult
    public static func scout(for what: [WhatAmI], group: MulticastGroup, interface: String = "auto", ttl: Int = 1,
                             zid: ZenohID? = nil, timeout: Duration, eventLoopGroup: EventLoopGroup? = nil,
                             onAnswer: @escaping @Sendable (ScoutAnswer) -> Void = { _ in }) async throws -> [ScoutAnswer] {
        guard let eventLoopGroup else {
            // A one-off scout (the `petrel scout` tool) brings its own event loop.
            let own = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { own.shutdownGracefully { _ in } }
            return try await scout(for: what, group: group, interface: interface, ttl: ttl, zid: zid, timeout: timeout,
                                   eventLoopGroup: own, onAnswer: onAnswer)
        }
        let collector = AnswerCollector(own: zid, onAnswer: onAnswer)
        let iface = try interfaceAddress(interface)
        let channel: Channel
        do {
            channel = try await DatagramBootstrap(group: eventLoopGroup)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector) } }
                .bind(host: "0.0.0.0", port: 0).get()
            if let provider = channel as? SocketOptionProvider {
                try await provider.setIPMulticastTTL(CUnsignedChar(clamping: ttl)).get()
                if let (addr, _) = iface { try await provider.setIPMulticastIF(addr).get() }
            }
        } catch {
            throw Failure(description: "cannot open a scouting socket: \(error)")
        }
        defer { channel.close(promise: nil) }
        let target = try SocketAddress(ipAddress: group.address, port: group.port)
        let scout = Scout(looking: what)
        let bytes = try [UInt8].encoding(capacity: 64) { (w: inout WireWriter) throws(EncodeError) in try scout.encode(into: &w) }
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.seconds(1)
        while ContinuousClock.now < deadline && !Task.isCancelled {
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try? await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer)).get()
            let wake = min(ContinuousClock.now + pause, deadline)
            try? await Task.sleep(until: wake, clock: .continuous)
            pause = min(pause * 2, .seconds(8))
        }
        return collector.answers
    }

    /// Joins `group` and answers each Scout that asks for our kind with
    /// `hello()` (evaluated per Scout: locators may change), unicast to its
    /// source. Returns the channel; close it to stop answering.
    public static func respond(group: MulticastGroup, interface: String = "auto", whatAmI: WhatAmI,
                               eventLoopGroup: EventLoopGroup, logger: Logger,
                               hello: @escaping @Sendable () -> Hello) async throws -> Channel {
        let iface = try interfaceAddress(interface)
        let responder = ScoutResponder(whatAmI: whatAmI, hello: hello, logger: logger)
        do {
            let channel = try await DatagramBootstrap(group: eventLoopGroup)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(responder) } }
                .bind(host: "0.0.0.0", port: group.port).get()
            guard let multicast = channel as? MulticastChannel else {
                channel.close(promise: nil)
                throw Failure(description: "the scouting socket cannot join multicast groups")
            }
            let groupAddress = try SocketAddress(ipAddress: group.address, port: group.port)
            try await multicast.joinGroup(groupAddress, device: iface?.1).get()
            return channel
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(description: "cannot join the scouting group \(group)\(interface == "auto" ? "" : " on \(interface)"): \(error)")
        }
    }
}

/// Collects Hellos on a scouting socket (on its event loop; read elsewhere under its lock).
final class AnswerCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let own: ZenohID?
    private let onAnswer: @Sendable (ScoutAnswer) -> Void
    private let lock = NIOLock()
    private var seen: [ScoutAnswer] = []

    init(own: ZenohID?, onAnswer: @escaping @Sendable (ScoutAnswer) -> Void) {
        self.own = own
        self.onAnswer = onAnswer
    }

    var answers: [ScoutAnswer] { lock.withLock { seen } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        // Anything that is not a well-formed Hello (our own Scout looped back, noise) is ignored.
        guard case .hello(let hello)? = try? ScoutingMessage.decode(datagram: bytes[...]), hello.zid != own else { return }
        let answer = ScoutAnswer(hello: hello, source: envelope.remoteAddress.ipAddress ?? "\(envelope.remoteAddress)")
        let fresh = lock.withLock { () -> Bool in
            if seen.contains(where: { $0.hello.zid == hello.zid }) { return false }
            seen.append(answer)
            return true
        }
        if fresh { onAnswer(answer) }
    }
}

/// Answers Scouts on the group socket.
final class ScoutResponder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let whatAmI: WhatAmI
    let hello: @Sendable () -> Hello
    let logger: Logger

    init(whatAmI: WhatAmI, hello: @escaping @Sendable () -> Hello, logger: Logger) {
        self.whatAmI = whatAmI
        self.hello = hello
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard case .scout(let scout)? = try? ScoutingMessage.decode(datagram: bytes[...]), scout.matches(whatAmI) else { return }
        let h = hello()
        guard scout.zid != h.zid,
              let answer = try? [UInt8].encoding(capacity: 4096, { (w: inout WireWriter) throws(EncodeError) in try h.encode(into: &w) })
        else { return }
        var buffer = context.channel.allocator.buffer(capacity: answer.count)
        buffer.writeBytes(answer)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("scouting socket error", metadata: ["error": "\(error)"])
    }
}
