import Foundation
import NIOCore
import PetrelSerialPort
import PetrelTransport
import PetrelWire
import Synchronization

/// What reached the end of a serial link's pipeline: the events and batches
/// the transport would see.
final class Received: Sendable {
    private struct State {
        var ready = 0
        var batches: [[UInt8]] = []
        var closed = false
    }

    private let state = Mutex(State())

    var readyCount: Int { state.withLock { $0.ready } }
    var batches: [[UInt8]] { state.withLock { $0.batches } }
    var isClosed: Bool { state.withLock { $0.closed } }

    fileprivate func linkReady() { state.withLock { $0.ready += 1 } }
    fileprivate func batch(_ bytes: [UInt8]) { state.withLock { $0.batches.append(bytes) } }
    fileprivate func closed() { state.withLock { $0.closed = true } }

    /// The handler to put after the serial handlers.
    func handler() -> some ChannelHandler { Recorder(self) }

    func waitUntil(timeout: Duration = .seconds(5), _ condition: (Received) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }
}

private final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let received: Received

    init(_ received: Received) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received.batch(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? SerialLinkEvent, event == .linkReady { received.linkReady() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.closed()
        context.fireChannelInactive()
    }
}

/// One serial frame as it goes on the wire (COBS, 0x00-terminated).
func wireFrame(flags: UInt8 = 0, _ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: SerialFraming.maxEncodedSize(dataLength: data.count))
    let n = out.withUnsafeMutableBytes { room -> Int in
        var w = WireWriter(room)
        data.withUnsafeBytes { raw in
            try! SerialFraming.encode(flags: flags, data: raw, into: &w, maxDataLength: 65535)
        }
        return w.count
    }
    return Array(out[..<n])
}

/// A frame with a given raw header and payload, bypassing the encoder's
/// checks (for frames a correct sender never makes).
func forgedFrame(flags: UInt8, length: Int, _ data: [UInt8], crc: UInt32? = nil) -> [UInt8] {
    let checksum = crc ?? data.withUnsafeBytes { SerialCRC32.checksum($0) }
    var raw: [UInt8] = [flags, UInt8(length & 0xFF), UInt8(length >> 8)] + data
    for shift in stride(from: 0, to: 32, by: 8) { raw.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
    var out = [UInt8](repeating: 0, count: COBS.maxEncodedCount(forDataCount: raw.count) + 1)
    let n = out.withUnsafeMutableBytes { room -> Int in
        var w = WireWriter(room)
        raw.withUnsafeBytes { try! COBS.encode($0, into: &w) }
        try! w.writeByte(0)
        return w.count
    }
    return Array(out[..<n])
}

/// The handshake frames on the wire (zenoh-wire.md §16).
enum Wire {
    static let initFrame: [UInt8] = [0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00]
    static let initAck: [UInt8] = [0x02, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00]
    static let reset: [UInt8] = [0x02, 0x04, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00]
}

/// The test's own end of a pty pair, written and read raw (a peer whose
/// bytes the test controls, noise included).
final class RawPeer {
    let port: SerialPort

    init(_ path: String) throws {
        port = try SerialPort(path: path, settings: .init(baudrate: 115_200))
    }

    func write(_ bytes: [UInt8]) throws {
        try port.writeAll(bytes)
    }

    /// Writes `bytes` in pieces of `chunk` bytes, pausing between them.
    func trickle(_ bytes: [UInt8], chunk: Int = 1, pause: Duration = .milliseconds(3)) async throws {
        var i = 0
        while i < bytes.count {
            try port.writeAll(Array(bytes[i..<min(i + chunk, bytes.count)]))
            i += chunk
            try await Task.sleep(for: pause)
        }
    }

    private var pending: [UInt8] = []

    /// The next complete frame (through its 0x00), or nil after `timeout`.
    func readFrame(timeout: Duration = .seconds(3)) -> [UInt8]? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = pending.firstIndex(of: 0) {
                let frame = Array(pending[...end])
                pending.removeFirst(end + 1)
                return frame
            }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            var p = pollfd(fd: port.fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 100)))
            if let n = try? port.read(into: &buffer), n > 0 { pending.append(contentsOf: buffer[..<n]) }
        }
    }

    /// Descriptors of this process that refer to `path` (after symlinks).
    static func openDescriptors(to path: String) -> Int {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return -1 }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == target }.count
    }
}

/// Waits (bounded: a test must fail, not hang) until `channel` is closed.
func becomesInactive(_ channel: Channel, timeout: Duration = .seconds(5)) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if !channel.isActive { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return !channel.isActive
}
