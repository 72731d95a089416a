import PetrelTime
import PetrelWire

// Random instances of every network message (Push excepted: see
// RandomMessages+Zenoh.swift), every declaration and the query/reply/err bodies.
extension SeededRandom {
    /// Any network message, every kind equally likely.
    mutating func networkMessage() -> NetworkMessage {
        switch int(0...6) {
        case 0: return .push(push())
        case 1: return .request(request())
        case 2: return .response(response())
        case 3: return .responseFinal(responseFinal())
        case 4: return .declare(declare())
        case 5: return .interest(interest())
        default: return .oam(networkOAM())
        }
    }

    // MARK: Zenoh bodies

    /// Mostly known modes, sometimes a number this codec does not know (kept raw).
    mutating func consolidationWireValue() -> UInt64? {
        switch int(0...9) {
        case 0...3: return nil
        case 4: return UInt64(int(4...1000))
        default: return UInt64(int(0...3))
        }
    }

    mutating func parameters() -> String {
        let parts = ["x=1", "y=é", "_time=[..]", "a;b", "k=v=w", String(repeating: "p", count: int(100...200))]
        return chance(2) ? "" : (0..<int(1...3)).map { _ in parts[int(0...parts.count - 1)] }.joined(separator: ";")
    }

    mutating func queryBody() -> QueryBody {
        QueryBody(encoding: chance(3) ? .zenohBytes : encoding(), payload: bytes())
    }

    mutating func query() -> Query {
        var q = Query(parameters: parameters(),
                      body: chance(3) ? queryBody() : nil,
                      sourceInfo: chance(4) ? sourceInfo() : nil,
                      attachment: chance(4) ? bytes() : nil,
                      unknownExtensions: unknownExtensions(avoiding: [0x41, 0x43, 0x45]))
        q.consolidationWireValue = consolidationWireValue()
        return q
    }

    mutating func reply() -> Reply {
        var r = Reply(body: pushBody(), unknownExtensions: unknownExtensions(avoiding: []))
        r.consolidationWireValue = chance(4) ? consolidationWireValue() : nil
        return r
    }

    mutating func err() -> Err {
        Err(payload: bytes(), encoding: chance(2) ? .zenohBytes : encoding(),
            sourceInfo: chance(3) ? sourceInfo() : nil,
            isSharedMemory: chance(10),
            unknownExtensions: unknownExtensions(avoiding: [0x41, 0x12]))
    }

    // MARK: Request / Response

    mutating func request() -> Request {
        Request(requestID: zint(UInt32.self), wireExpr: wireExpr(), body: query(), qos: networkQoS(),
                timestamp: chance(3) ? timestamp() : nil,
                nodeID: chance(4) ? zint(UInt16.self) : 0,
                target: QueryTarget.allCases[int(0...2)],
                budget: chance(3) ? zint(UInt32.self) : nil,
                timeoutMilliseconds: chance(2) ? zint() : nil,
                tsStack: chance(5) ? bytes() : nil,
                unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42, 0x34, 0x25, 0x26, 0x33, 0x47]))
    }

    mutating func responderID() -> ResponderID {
        ResponderID(zid: zid(), entityID: zint(UInt32.self))
    }

    mutating func responseBody() -> ResponseBody {
        chance(4) ? .err(err()) : .reply(reply())
    }

    mutating func response() -> Response {
        Response(requestID: zint(UInt32.self), wireExpr: wireExpr(), body: responseBody(), qos: networkQoS(),
                 timestamp: chance(3) ? timestamp() : nil,
                 responderID: chance(2) ? responderID() : nil,
                 tsStack: chance(5) ? bytes() : nil,
                 unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42, 0x43, 0x47]))
    }

    mutating func responseFinal() -> ResponseFinal {
        ResponseFinal(requestID: zint(UInt32.self), qos: networkQoS(), timestamp: chance(3) ? timestamp() : nil,
                      unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42]))
    }

    // MARK: Declare

    /// The key of an undeclaration: absent, Rust's "no key" form, or any key.
    mutating func undeclaredWireExpr() -> WireExpr? {
        switch int(0...2) {
        case 0: return nil
        case 1: return WireExpr(scope: 0, suffix: "", mapping: .receiver)
        default: return wireExpr()
        }
    }

    mutating func queryableInfo() -> QueryableInfo {
        chance(2) ? .default : QueryableInfo(complete: bool(), distance: chance(2) ? 0 : zint(UInt16.self))
    }

    /// A declaration of the given kind (0...8, in declaration-id order, 8 = D_FINAL), or of any kind.
    mutating func declaration(kind: Int? = nil) -> Declaration {
        switch kind ?? int(0...8) {
        case 0:
            // D_KEYEXPR carries no M flag: its mapping always decodes as `.receiver`.
            var e = wireExpr()
            e.mapping = .receiver
            return .keyExpr(id: UInt16.random(in: 1...UInt16.max, using: &self), wireExpr: e)
        case 1: return .undeclareKeyExpr(id: UInt16.random(in: 1...UInt16.max, using: &self))
        case 2: return .subscriber(id: zint(UInt32.self), wireExpr: wireExpr())
        case 3: return .undeclareSubscriber(id: zint(UInt32.self), wireExpr: undeclaredWireExpr())
        case 4: return .queryable(id: zint(UInt32.self), wireExpr: wireExpr(), info: queryableInfo())
        case 5: return .undeclareQueryable(id: zint(UInt32.self), wireExpr: undeclaredWireExpr())
        case 6: return .token(id: zint(UInt32.self), wireExpr: wireExpr())
        case 7: return .undeclareToken(id: zint(UInt32.self), wireExpr: undeclaredWireExpr())
        default: return .final
        }
    }

    mutating func declare(kind: Int? = nil) -> Declare {
        let d = declaration(kind: kind)
        let knownOfDeclaration: Set<UInt8>
        switch d {
        case .queryable: knownOfDeclaration = [0x21]
        case .undeclareSubscriber, .undeclareQueryable, .undeclareToken: knownOfDeclaration = [0x5F]
        default: knownOfDeclaration = []
        }
        return Declare(declaration: d, interestID: chance(3) ? zint(UInt32.self) : nil,
                       qos: chance(2) ? .declare : networkQoS(),
                       timestamp: chance(4) ? timestamp() : nil,
                       nodeID: chance(4) ? zint(UInt16.self) : 0,
                       unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42, 0x33]),
                       declarationUnknownExtensions: unknownExtensions(avoiding: knownOfDeclaration))
    }

    // MARK: Interest / OAM

    mutating func interest() -> Interest {
        let mode = InterestMode.allCases[int(0...3)]
        var options: InterestOptions = []
        var key: WireExpr?
        if mode != .final {
            // Any option bits but N and M (derived from the key), R iff there is a key.
            options = InterestOptions(rawValue: UInt8.random(in: 0...255, using: &self) & ~0x70)
            if chance(3) == false {
                options.insert(.restricted)
                key = wireExpr()
            }
        }
        return Interest(id: zint(UInt32.self), mode: mode, options: options, wireExpr: key,
                        qos: chance(2) ? .declare : networkQoS(),
                        timestamp: chance(4) ? timestamp() : nil,
                        nodeID: chance(4) ? zint(UInt16.self) : 0,
                        unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42, 0x33]))
    }

    mutating func networkOAM() -> NetworkOAM {
        let body: NetworkOAM.Body
        switch int(0...2) {
        case 0: body = .none
        case 1: body = .zint(zint())
        default: body = .bytes(bytes())
        }
        return NetworkOAM(id: zint(UInt16.self), body: body, qos: networkQoS(),
                          timestamp: chance(4) ? timestamp() : nil,
                          unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42]))
    }
}
