import PetrelTime
import PetrelWire

// Random instances of the transport and scouting messages, every extension
// field present at random.
extension SeededRandom {
    mutating func whatAmI() -> WhatAmI { WhatAmI.allCases[int(0...2)] }

    mutating func priority() -> Priority { Priority.allCases[int(0...7)] }

    mutating func reliability() -> Reliability { bool() ? .reliable : .bestEffort }

    /// The resolution byte: the default half of the time.
    mutating func resolution(default d: UInt8) -> UInt8 { chance(2) ? d : UInt8.random(in: 0...255, using: &self) }

    mutating func batchSize(default d: UInt16) -> UInt16 { chance(2) ? d : UInt16.random(in: 0...UInt16.max, using: &self) }

    /// A lease in milliseconds, whole seconds half of the time (those travel with T).
    mutating func leaseMilliseconds() -> UInt64 {
        switch int(0...3) {
        case 0: return UInt64(int(0...3600)) * 1000
        case 1: return zint() / 1000 * 1000
        default: return zint()
        }
    }

    /// A small cookie-like byte string, at times empty, at times long.
    mutating func cookie() -> ZBytes { chance(30) ? bytes(0) : bytes(64) }

    mutating func initSyn() -> InitSyn {
        InitSyn(version: chance(4) ? UInt8.random(in: 0...255, using: &self) : 0x09,
                whatAmI: whatAmI(), zid: zid(),
                resolution: resolution(default: 0x0A), batchSize: batchSize(default: 65535),
                qos: bool(), qosLink: chance(3) ? zint() : nil,
                shm: chance(3) ? bytes() : nil, auth: chance(3) ? bytes() : nil,
                multiLink: chance(3) ? bytes() : nil, lowLatency: chance(3), compression: chance(3),
                patch: chance(2) ? zint() : nil, regionName: chance(3) ? bytes() : nil,
                unknownExtensions: unknownExtensions(avoiding: [0x01, 0x21, 0x42, 0x43, 0x44, 0x05, 0x06, 0x27, 0x48]))
    }

    mutating func initAck() -> InitAck {
        let s = initSyn()
        return InitAck(version: s.version, whatAmI: s.whatAmI, zid: s.zid, resolution: s.resolution,
                       batchSize: s.batchSize, cookie: cookie(), qos: s.qos, qosLink: s.qosLink, shm: s.shm,
                       auth: s.auth, multiLink: s.multiLink, lowLatency: s.lowLatency, compression: s.compression,
                       patch: s.patch, regionName: s.regionName, unknownExtensions: s.unknownExtensions)
    }

    mutating func openSyn() -> OpenSyn {
        OpenSyn(leaseMilliseconds: leaseMilliseconds(), initialSN: zint(), cookie: cookie(),
                qos: chance(3), shm: chance(3) ? bytes() : nil, shmZInt: chance(4) ? zint() : nil,
                auth: chance(3) ? bytes() : nil, multiLink: chance(3) ? bytes() : nil,
                lowLatency: chance(3), compression: chance(3), remoteBound: chance(3) ? zint() : nil,
                unknownExtensions: unknownExtensions(avoiding: [0x01, 0x42, 0x22, 0x43, 0x44, 0x05, 0x06, 0x27]))
    }

    mutating func openAck() -> OpenAck {
        OpenAck(leaseMilliseconds: leaseMilliseconds(), initialSN: zint(),
                qos: chance(3), shm: chance(3) ? bytes() : nil, shmZInt: chance(4) ? zint() : nil,
                auth: chance(3) ? bytes() : nil, multiLink: chance(3),
                lowLatency: chance(3), compression: chance(3), remoteBound: chance(3) ? zint() : nil,
                unknownExtensions: unknownExtensions(avoiding: [0x01, 0x42, 0x22, 0x43, 0x04, 0x05, 0x06, 0x27]))
    }

    mutating func close() -> Close {
        Close(reason: chance(4) ? UInt8.random(in: 0...255, using: &self) : UInt8(int(0...7)),
              closesSession: bool(), unknownExtensions: unknownExtensions(avoiding: []))
    }

    mutating func keepAlive() -> KeepAlive { KeepAlive(unknownExtensions: unknownExtensions(avoiding: [])) }

    /// Frames carry every kind of network message, back to back with no length:
    /// mixing kinds checks that each decoder stops exactly where the next begins.
    mutating func frameMessages() -> [NetworkMessage] {
        (0..<int(0...4)).map { _ in networkMessage() }
    }

    mutating func frameHeader() -> FrameHeader {
        FrameHeader(reliability: reliability(), sn: zint(), priority: chance(2) ? nil : priority(),
                    unknownExtensions: unknownExtensions(avoiding: [0x31]))
    }

    mutating func frame() -> Frame { Frame(header: frameHeader(), messages: frameMessages()) }

    mutating func fragment() -> Fragment {
        Fragment(reliability: reliability(), more: bool(), sn: zint(), priority: chance(2) ? nil : priority(),
                 first: chance(3), drop: chance(5), unknownExtensions: unknownExtensions(avoiding: [0x31, 0x02, 0x03]),
                 payload: bytes(200))
    }

    mutating func snPair() -> JoinSNPair { JoinSNPair(reliable: zint(), bestEffort: zint()) }

    mutating func join() -> Join {
        Join(version: chance(4) ? UInt8.random(in: 0...255, using: &self) : 0x09,
             whatAmI: whatAmI(), zid: zid(),
             resolution: resolution(default: 0x0A), batchSize: batchSize(default: 8192),
             leaseMilliseconds: leaseMilliseconds(), nextSN: snPair(),
             qosNextSNs: chance(2) ? (0..<8).map { _ in snPair() } : nil,
             shm: chance(3) ? bytes() : nil, patch: chance(2) ? zint() : nil,
             unknownExtensions: unknownExtensions(avoiding: [0x51, 0x52, 0x27]))
    }

    mutating func transportOAM() -> TransportOAM {
        let body: TransportOAM.Body
        switch int(0...2) {
        case 0: body = .none
        case 1: body = .zint(zint())
        default: body = .bytes(bytes())
        }
        return TransportOAM(id: zint(UInt16.self), body: body, priority: chance(2) ? nil : priority(),
                            unknownExtensions: unknownExtensions(avoiding: [0x31]))
    }

    /// Any transport message; a Fragment only if `fragment` (it must end its batch).
    mutating func transportMessage(fragment allowFragment: Bool = true) -> TransportMessage {
        switch int(0...(allowFragment ? 9 : 8)) {
        case 0: return .initSyn(initSyn())
        case 1: return .initAck(initAck())
        case 2: return .openSyn(openSyn())
        case 3: return .openAck(openAck())
        case 4: return .close(close())
        case 5: return .keepAlive(keepAlive())
        case 6: return .frame(frame())
        case 7: return .join(join())
        case 8: return .oam(transportOAM())
        default: return .fragment(fragment())
        }
    }

    /// Several transport messages as one batch would hold them (a Fragment only last).
    mutating func batchMessages() -> [TransportMessage] {
        var out = (0..<int(1...5)).map { _ in transportMessage(fragment: false) }
        if chance(4) { out.append(.fragment(fragment())) }
        return out
    }

    mutating func scout() -> Scout {
        Scout(version: chance(4) ? UInt8.random(in: 0...255, using: &self) : 0x09,
              what: UInt8(int(0...7)), zid: chance(2) ? zid() : nil,
              unknownExtensions: unknownExtensions(avoiding: []))
    }

    mutating func locator() -> String {
        let proto = ["tcp", "udp", "tls", "quic", "serial"][int(0...4)]
        let host = chance(5) ? String(repeating: "h", count: int(200...240)) : "10.0.\(int(0...255)).\(int(0...255))"
        return "\(proto)/\(host):\(int(1...65535))"
    }

    mutating func hello() -> Hello {
        Hello(version: chance(4) ? UInt8.random(in: 0...255, using: &self) : 0x09,
              whatAmI: whatAmI(), zid: zid(), locators: (0..<int(0...3)).map { _ in locator() },
              unknownExtensions: unknownExtensions(avoiding: []))
    }
}
