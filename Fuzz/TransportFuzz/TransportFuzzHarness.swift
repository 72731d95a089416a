// The transport state machine under fuzzing: a device's session with the
// gateway (listener side, where untrusted devices connect), opened by a valid
// handshake, then fed bytes the fuzzer chose. Run by scripts/fuzz-transport
// (libFuzzer, coverage-guided) and by TransportStateFuzzTests (seeded,
// mutational, with the unit tests). See Fuzz/README.md.
//
// Whatever the bytes, the session must either go on or close with a reason;
// anything else ends the run: a trap, an AddressSanitizer report, or one of
// the checks below failing (`fatalError`).
import Logging
import NIOCore
import NIOEmbedded
import PetrelTime
@testable import PetrelTransport
import PetrelWire

public enum TransportFuzz {
    /// Runs one input. The first byte chooses the session (framing, QoS,
    /// patch, SN resolution, whether timers run); the rest is what the device
    /// sends after the handshake: on a stream link, raw bytes (length-prefixed
    /// batches, cut into reads of 1-64 bytes); on a datagram link, a sequence of
    /// `length u8 | bytes` records, each one datagram.
    public static func run(_ input: [UInt8]) {
        guard let options = input.first else { return }
        let body = input.dropFirst()
        let stream = options & 0x01 == 0
        let qos = options & 0x02 != 0
        let patch = options & 0x04 != 0
        let resolution: UInt8 = [0x0A, 0x09, 0x08, 0x05][Int(options >> 3) & 0x03]
        let timers = options & 0x20 != 0
        let budget = ReassemblyBudget(limit: 24 << 10)

        let delegate = CountingDelegate()
        var config = TransportConfig(zid: ZenohID(high: 0, low: 0x6A7E)!)
        config.whatAmI = .router
        config.maxMessageSize = 32 << 10
        config.limits = SessionLimits(maxInFlightBytes: 64 << 10, maxReassemblyBytes: 16 << 10, reassemblyBudget: budget)
        let channel = EmbeddedChannel()
        let framing: LinkFraming = stream ? .stream : .datagram
        let handshake = HandshakeHandler(endpoint: endpoint, config: config, role: .listener, framing: framing, delegate: delegate,
                                         promise: channel.eventLoop.makePromise(of: UnicastTransport.self), logger: logger)
        do {
            if stream { try channel.pipeline.syncOperations.addHandler(StreamBatchFramer()) }
            try channel.pipeline.syncOperations.addHandler(handshake)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7447)).wait()
        } catch {
            fatalError("cannot set up the channel: \(error)")
        }
        let opened = delegate
        handshake.promise.futureResult.whenSuccess { opened.transport = $0 }

        // The device's handshake: InitSyn, the cookie from the InitAck back in the OpenSyn.
        let syn = InitSyn(whatAmI: .client, zid: ZenohID(high: 0, low: 0xD0)!, resolution: resolution, batchSize: 2048,
                          qos: qos, patch: patch ? 1 : nil)
        send(.initSyn(syn), on: channel, stream: stream)
        guard case .initAck(let ack)? = sentMessages(channel, stream: stream).first else { fatalError("no InitAck to a valid InitSyn") }
        send(.openSyn(OpenSyn(leaseMilliseconds: 10_000, initialSN: 0, cookie: ack.cookie)), on: channel, stream: stream)
        guard let transport = delegate.transport else { fatalError("no session after a valid handshake") }

        // What the device sends next: the fuzzer's bytes.
        if stream {
            var rest = body[...]
            var cut = 1
            while !rest.isEmpty && channel.isActive {
                let n = min(rest.count, 1 + (cut * 7 + Int(rest.first!)) % 64)
                cut += 1
                feed(ByteBuffer(bytes: rest.prefix(n)), to: channel)
                rest = rest.dropFirst(n)
                if timers { channel.embeddedEventLoop.advanceTime(by: .milliseconds(Int64(n) * 50)) }
                // The gateway answers on the same session meanwhile (its transmit side under the same caps).
                if n % 5 == 0 { transport.send(reply) }
            }
        } else {
            var rest = body[...]
            while let length = rest.first, channel.isActive {
                rest = rest.dropFirst()
                let datagram = rest.prefix(Int(length))
                rest = rest.dropFirst(datagram.count)
                feed(ByteBuffer(bytes: datagram), to: channel)
                if timers { channel.embeddedEventLoop.advanceTime(by: .milliseconds(Int64(length) * 50)) }
                if length % 5 == 0 { transport.send(reply) }
            }
        }
        channel.embeddedEventLoop.run()

        // The session either goes on or ended once, with a reason; nothing is held for it after it is gone.
        if delegate.closes > 1 { fatalError("the session was reported closed \(delegate.closes) times") }
        if budget.inUse < 0 || budget.inUse > budget.limit { fatalError("reassembly budget out of bounds: \(budget.inUse)") }
        if !channel.isActive && delegate.closes != 1 { fatalError("the link closed without the session being reported closed") }
        if channel.isActive && !transport.isOpen { fatalError("the session is closed but its link is up") }
        _ = try? channel.finish(acceptAlreadyClosed: true)
        if budget.inUse != 0 { fatalError("\(budget.inUse) reassembly bytes still reserved after the session ended") }
        if delegate.closes != 1 { fatalError("the session ended \(delegate.closes) times") }
    }

    static let endpoint = Endpoint(proto: .tcp, host: "127.0.0.1", port: 7447)
    static let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    static let reply = Push(wireExpr: WireExpr("fuzz/reply"), body: .put(Put(payload: Array(repeating: 0x5A, count: 300)[...])))

    static func feed(_ buffer: ByteBuffer, to channel: EmbeddedChannel) {
        do {
            try channel.writeInbound(buffer)
        } catch {
            // An error the pipeline raised to the end of it: the handlers have already closed the link.
        }
    }

    static func send(_ message: TransportMessage, on channel: EmbeddedChannel, stream: Bool) {
        guard let bytes = try? [UInt8].encoding(capacity: 4096, { (w: inout WireWriter) throws(EncodeError) in try message.encode(into: &w) })
        else { fatalError("cannot encode \(message)") }
        let framed = stream ? [UInt8(bytes.count & 0xFF), UInt8(bytes.count >> 8)] + bytes : bytes
        feed(ByteBuffer(bytes: framed), to: channel)
    }

    static func sentMessages(_ channel: EmbeddedChannel, stream: Bool) -> [TransportMessage] {
        var out: [TransportMessage] = []
        while var buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            if stream { buffer.moveReaderIndex(forwardBy: 2) }
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            if let batch = try? TransportMessage.decodeBatch(bytes[...]) { out += batch }
        }
        return out
    }

    /// Valid traffic after the handshake, for seed corpora: frames with
    /// puts and declarations, a message in fragments, keep-alives, a Close.
    public static func seeds() -> [[UInt8]] {
        func batch(_ m: TransportMessage) -> [UInt8] {
            (try? [UInt8].encoding(capacity: 4096) { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }) ?? []
        }
        func frame(_ sn: UInt64, _ messages: [NetworkMessage], priority: Priority? = nil, reliability: Reliability = .reliable) -> [UInt8] {
            (try? [UInt8].encoding(capacity: 4096) { (w: inout WireWriter) throws(EncodeError) in
                try Frame(reliability: reliability, sn: sn, priority: priority, messages: messages).encode(into: &w)
            }) ?? []
        }
        let put = NetworkMessage.push(Push(wireExpr: WireExpr("dev/temp"), body: .put(Put(payload: Array("21.5".utf8)[...]))))
        let sub = NetworkMessage.declare(Declare(declaration: .subscriber(id: 1, wireExpr: WireExpr("dev/**"))))
        let expr = NetworkMessage.declare(Declare(declaration: .keyExpr(id: 1, wireExpr: WireExpr("dev/long/prefix"))))
        let interest = NetworkMessage.interest(Interest(id: 2, mode: .currentFuture, options: [.keyExprs, .subscribers],
                                                        wireExpr: WireExpr("dev/**")))
        let big = (try? [UInt8].encoding(capacity: 8192) { (w: inout WireWriter) throws(EncodeError) in
            try NetworkMessage.push(Push(wireExpr: WireExpr("dev/blob"), body: .put(Put(payload: Array(repeating: 7, count: 3000)[...]))))
                .encode(into: &w)
        }) ?? []
        let fragments = stride(from: 0, to: big.count, by: 1000).enumerated().map { i, start in
            batch(.fragment(Fragment(reliability: .reliable, more: start + 1000 < big.count, sn: UInt64(3 + i), first: i == 0,
                                     drop: false, payload: big[start..<min(start + 1000, big.count)])))
        }
        let sessions: [[[UInt8]]] = [
            [frame(0, [put]), frame(1, [sub, expr, interest]), frame(2, [put, put])],
            [frame(0, [put]), frame(1, [put])] + fragments + [batch(.keepAlive(KeepAlive()))],
            [frame(0, [sub]), frame(0, [put]), frame(1, [put], reliability: .bestEffort), batch(.close(Close(reason: 0, closesSession: true)))],
            [frame(0, [put], priority: .interactiveHigh), frame(1, [put])],
        ]
        var out: [[UInt8]] = []
        for batches in sessions {
            for options: UInt8 in [0x06, 0x07, 0x04, 0x26] {
                let stream = options & 0x01 == 0
                var input = [options]
                for b in batches {
                    if stream {
                        input += [UInt8(b.count & 0xFF), UInt8(b.count >> 8)] + b
                    } else if b.count < 256 {
                        input += [UInt8(b.count)] + b
                    }
                }
                out.append(input)
            }
        }
        return out
    }
}

/// Counts what the session hands its user. `@unchecked Sendable`: an
/// EmbeddedChannel runs everything on the fuzzer's own thread.
final class CountingDelegate: TransportDelegate, @unchecked Sendable {
    /// The session, once the handshake opened it.
    var transport: UnicastTransport?
    var received = 0
    var closes = 0

    func transport(_ transport: UnicastTransport, didReceive message: consuming NetworkMessage, reliability: Reliability) {
        received += 1
    }

    func transport(_ transport: UnicastTransport, didCloseWith error: TransportError?) {
        closes += 1
    }
}
