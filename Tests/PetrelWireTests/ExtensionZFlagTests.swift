import Testing
import PetrelWire

// Encoders no longer count extensions: the Z flags come from which extensions
// are written (ExtensionChain). These pin the bytes where a count used to be
// needed — the header gets Z iff an extension follows, every extension but
// the last gets Z, and known extensions are followed by unknown ones in the
// same chain — independently of the round trips, which would accept a
// consistent but wrong encoder.

private func bytes(_ m: NetworkMessage) throws -> [UInt8] {
    try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
}

private func decodesBack(_ m: NetworkMessage, _ b: [UInt8]) throws -> Bool {
    var r = WireReader(b)
    return try NetworkMessage.decode(from: &r) == m && r.isAtEnd
}

@Suite("Extension Z flags")
struct ExtensionZFlagTests {
    /// Key 1 by the sender's id, payload `aa`.
    private let key = WireExpr(scope: 1, suffix: "", mapping: .sender)
    private let put = PushBody.put(Put(payload: [0xAA]))

    @Test func pushWithoutExtensionsHasNoZ() throws {
        let m = NetworkMessage.push(Push(wireExpr: key, body: put))
        let b = try bytes(m)
        #expect(b.hex == "5d01" + "0101aa")
        #expect(try decodesBack(m, b))
    }

    @Test func everyExtensionButTheLastHasZ() throws {
        // QoS a1 0d, NodeId b3 02 (mandatory), TsStack 47 (last: no Z).
        let m = NetworkMessage.push(Push(wireExpr: key, body: put, qos: .request, nodeID: 2, tsStack: [0x01]))
        let b = try bytes(m)
        #expect(b.hex == "dd01" + "a10d" + "b302" + "470101" + "0101aa")
        #expect(try decodesBack(m, b))
    }

    @Test func unknownExtensionsContinueTheChain() throws {
        // Known TsStack gets Z because an unknown one follows; the unknown unit
        // 0e is last.
        let m = NetworkMessage.push(Push(wireExpr: key, body: put, tsStack: [0x01],
                                         unknownExtensions: [ZExtension(id: 0xE, body: .unit)]))
        let b = try bytes(m)
        #expect(b.hex == "dd01" + "c70101" + "0e" + "0101aa")
        #expect(try decodesBack(m, b))
    }

    @Test func onlyUnknownExtensions() throws {
        // KEEP_ALIVE knows no extension: the chain starts at its header all the same.
        let keepAlive = KeepAlive(unknownExtensions: [ZExtension(id: 0xE, body: .unit), ZExtension(id: 0xD, body: .zint(5))])
        let b = try encoded { (w: inout WireWriter) throws(EncodeError) in try keepAlive.encode(into: &w) }
        #expect(b.hex == "84" + "8e" + "2d05")
    }

    @Test func declarationChainIsItsOwn() throws {
        // The DECLARE has no extension (no Z on 1e); its D_QUERYABLE has the
        // info (a1 01, Z as an unknown one follows) and the unknown 0e.
        let m = NetworkMessage.declare(Declare(
            declaration: .queryable(id: 1, wireExpr: key, info: QueryableInfo(complete: true)),
            declarationUnknownExtensions: [ZExtension(id: 0xE, body: .unit)]))
        let b = try bytes(m)
        #expect(b.hex == "1e" + "c40101" + "a101" + "0e")
        #expect(try decodesBack(m, b))
    }

    @Test func messageAndBodyChainsAreSeparate() throws {
        // RESPONSE with QoS (db: Z) then REPLY without extensions (04: no Z)
        // whose PUT has an attachment (81: Z, 43 last).
        let reply = Reply(body: .put(Put(payload: [0xAA], attachment: [0x07])))
        let m = NetworkMessage.response(Response(requestID: 2, wireExpr: key, body: .reply(reply), qos: .request))
        let b = try bytes(m)
        #expect(b.hex == "db0201" + "210d" + "04" + "81" + "430107" + "01aa")
        #expect(try decodesBack(m, b))
    }
}
