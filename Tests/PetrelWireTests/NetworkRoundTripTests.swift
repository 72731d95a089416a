import Foundation
import Testing
import PetrelTime
import PetrelWire

private func encodeNetwork(_ m: NetworkMessage, _ w: inout WireWriter) throws(EncodeError) { try m.encode(into: &w) }
private func decodeNetwork(_ r: inout WireReader) throws(DecodeError) -> NetworkMessage { try NetworkMessage.decode(from: &r) }

/// Reads a zenoh body header and checks its id before handing over to `decode`.
private func decodeBody<M>(_ r: inout WireReader, id: UInt8,
                           _ decode: (UInt8, inout WireReader) throws(DecodeError) -> M) throws(DecodeError) -> M {
    let header = try r.readByte("test body header")
    guard Header.id(header) == id else { throw DecodeError(.unexpectedMessageID, "test body", value: UInt64(header)) }
    return try decode(header, &r)
}

@Suite("Network messages round-trip")
struct NetworkRoundTripTests {
    // MARK: Random round trips, one test per message kind

    @Test func request() {
        roundTrip("REQUEST", make: { NetworkMessage.request($0.request()) }, encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func response() {
        roundTrip("RESPONSE", make: { NetworkMessage.response($0.response()) }, encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func responseFinal() {
        roundTrip("RESPONSE_FINAL", make: { NetworkMessage.responseFinal($0.responseFinal()) },
                  encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func declare() {
        roundTrip("DECLARE", make: { NetworkMessage.declare($0.declare()) }, encode: encodeNetwork, decode: decodeNetwork)
    }

    /// Every declaration kind on its own, so none is left to chance.
    @Test(arguments: 0...8) func declaration(kind: Int) {
        roundTrip("DECLARE kind \(kind)", count: 1000, make: { NetworkMessage.declare($0.declare(kind: kind)) },
                  encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func interest() {
        roundTrip("INTEREST", make: { NetworkMessage.interest($0.interest()) }, encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func networkOAM() {
        roundTrip("NETWORK_OAM", make: { NetworkMessage.oam($0.networkOAM()) }, encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func anyNetworkMessage() {
        roundTrip("network message", count: 5000, make: { $0.networkMessage() }, encode: encodeNetwork, decode: decodeNetwork)
    }

    @Test func query() {
        roundTrip("QUERY", make: { $0.query() },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try decodeBody(&r, id: Query.id, Query.decode) })
    }

    @Test func reply() {
        roundTrip("REPLY", make: { $0.reply() },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try decodeBody(&r, id: Reply.id, Reply.decode) })
    }

    @Test func err() {
        roundTrip("ERR", make: { $0.err() },
                  encode: { (m, w) throws(EncodeError) in try m.encode(into: &w) },
                  decode: { (r) throws(DecodeError) in try decodeBody(&r, id: Err.id, Err.decode) })
    }

    /// Every strict prefix of a valid message fails to decode with an error
    /// (no trap, no silent success): each message ends with a required field.
    @Test func truncatedMessagesAreRejected() throws {
        var rng = SeededRandom(seed: SeededRandom.testSeed)
        for i in 0..<300 {
            let m = rng.networkMessage()
            let bytes = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
            for n in 0..<bytes.count {
                var r = WireReader(bytes[0..<n])
                #expect(throws: DecodeError.self, "#\(i) prefix \(n) of \(bytes.hex)") { try NetworkMessage.decode(from: &r) }
            }
        }
    }

    // MARK: Unknown mandatory extensions

    static let mandatory = [ZExtension(id: 0x0E, isMandatory: true, body: .zint(7))]

    private func expectRejected(_ m: NetworkMessage, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
        var r = WireReader(bytes)
        do {
            let back = try NetworkMessage.decode(from: &r)
            Issue.record("accepted an unknown mandatory extension: \(back)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == .unknownMandatoryExtension, sourceLocation: sourceLocation)
            #expect(error.value == 0x3E, sourceLocation: sourceLocation)
        }
    }

    @Test func unknownMandatoryExtensionsAreRejected() throws {
        let key = WireExpr("demo/a")
        let m = Self.mandatory
        try expectRejected(.push(Push(wireExpr: key, body: .put(Put(payload: [1])), unknownExtensions: m)))
        try expectRejected(.request(Request(requestID: 1, wireExpr: key, unknownExtensions: m)))
        try expectRejected(.request(Request(requestID: 1, wireExpr: key, body: Query(unknownExtensions: m))))
        try expectRejected(.response(Response(requestID: 1, wireExpr: key, body: .err(Err(payload: [])), unknownExtensions: m)))
        try expectRejected(.response(Response(requestID: 1, wireExpr: key, body: .err(Err(payload: [], unknownExtensions: m)))))
        try expectRejected(.response(Response(requestID: 1, wireExpr: key,
                                              body: .reply(Reply(body: .del(Del()), unknownExtensions: m)))))
        try expectRejected(.responseFinal(ResponseFinal(requestID: 1, unknownExtensions: m)))
        try expectRejected(.interest(Interest(id: 1, mode: .final, unknownExtensions: m)))
        try expectRejected(.interest(Interest(id: 1, mode: .current, options: [.subscribers, .restricted], wireExpr: key,
                                              unknownExtensions: m)))
        try expectRejected(.oam(NetworkOAM(id: 1, body: .zint(3), unknownExtensions: m)))
        var rng = SeededRandom(seed: 1)
        for kind in 0...8 {
            let d = rng.declaration(kind: kind)
            try expectRejected(.declare(Declare(declaration: d, unknownExtensions: m)))
            try expectRejected(.declare(Declare(declaration: d, declarationUnknownExtensions: m)))
        }
    }

    // MARK: Edge cases of the representation

    @Test func unknownConsolidationIsKeptRawAndReadsAsAuto() throws {
        var q = Query(parameters: "x=1")
        q.consolidationWireValue = 9
        #expect(q.consolidation == .auto)
        let m = NetworkMessage.request(Request(requestID: 3, wireExpr: WireExpr("k"), body: q))
        let bytes = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
        #expect(bytes.hex == "7c0300016b" + "63" + "09" + "03783d31")
        var r = WireReader(bytes)
        #expect(try NetworkMessage.decode(from: &r) == m)
        // C flag with 0 (Auto) differs from no C flag, and both survive.
        #expect(Query(consolidation: .auto) != Query())
        #expect(Query(consolidation: ConsolidationMode.none).consolidationWireValue == 1)
    }

    @Test func badValuesAreRejected() {
        func decodeError(_ hex: String) -> DecodeError? {
            var r = WireReader([UInt8](hex: hex)!)
            do { _ = try NetworkMessage.decode(from: &r); return nil } catch { return error }
        }
        // REQUEST target 3 (Rust rejects it as well).
        #expect(decodeError("9c010034" + "03" + "03")?.kind == .invalidValue)
        // Network OAM with body encoding 3.
        #expect(decodeError("7f0100")?.kind == .invalidValue)
        // DECLARE with declaration id 0x08.
        #expect(decodeError("1e0801")?.kind == .unexpectedMessageID)
        // REQUEST whose body is a PUT.
        #expect(decodeError("1c01000100")?.kind == .unexpectedMessageID)
        // RESPONSE whose body is a QUERY.
        #expect(decodeError("1b010003")?.kind == .unexpectedMessageID)
        // Transport ids are not network messages.
        #expect(decodeError("0500")?.kind == .unexpectedMessageID)
        // Request id beyond u32.
        #expect(decodeError("1a8080808010")?.kind == .valueOutOfRange)
        // Key-expression id beyond u16 in D_KEYEXPR.
        #expect(decodeError("1e00808004" + "00")?.kind == .valueOutOfRange)
    }

    @Test func invalidMessagesAreRefusedByTheEncoder() {
        func encodeError(_ m: NetworkMessage) -> EncodeError? {
            do { _ = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }; return nil } catch {
                return error as? EncodeError
            }
        }
        // R option without a key, and a key without R.
        #expect(encodeError(.interest(Interest(id: 1, mode: .current, options: [.restricted]))) == .invalidValue("INTEREST.wireExpr"))
        #expect(encodeError(.interest(Interest(id: 1, mode: .future, wireExpr: WireExpr("a")))) == .invalidValue("INTEREST.wireExpr"))
        // A Final has no options.
        #expect(encodeError(.interest(Interest(id: 1, mode: .final, options: [.tokens]))) == .invalidValue("INTEREST.options"))
        // D_KEYEXPR cannot say "scope from the sender's table", nor declare id 0.
        #expect(encodeError(.declare(Declare(declaration: .keyExpr(id: 2, wireExpr: WireExpr(scope: 1, suffix: "/a", mapping: .sender)))))
                == .invalidValue("D_KEYEXPR.wireExpr.mapping"))
        #expect(encodeError(.declare(Declare(declaration: .keyExpr(id: 0, wireExpr: WireExpr("a"))))) == .invalidValue("D_KEYEXPR.id"))
        // A full key is fine whatever its mapping says.
        #expect(encodeError(.declare(Declare(declaration: .keyExpr(id: 2, wireExpr: WireExpr("demo"))))) == nil)
    }

    @Test func emptyUndeclarationKeyIsExact() throws {
        let m = NetworkMessage.declare(Declare(declaration: .undeclareToken(id: 2, wireExpr: WireExpr(scope: 0, suffix: "", mapping: .receiver)),
                                               qos: .declare))
        let bytes = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
        #expect(bytes.hex == "9e210887025f020000")
        // A key with a suffix and sender mapping: flags 03, scope, raw suffix (no length).
        let k = NetworkMessage.declare(Declare(declaration: .undeclareSubscriber(id: 1, wireExpr: WireExpr(scope: 5, suffix: "/x", mapping: .sender))))
        let kb = try encoded { (w: inout WireWriter) throws(EncodeError) in try k.encode(into: &w) }
        #expect(kb.hex == "1e" + "8301" + "5f04" + "0305" + "2f78")
    }

    // MARK: Captured vectors

    /// Network messages in each vector, one letter each: P push, Q request,
    /// R response, F response final, D declare, I interest.
    static let tcpContents: [String: String] = [
        "frame_declare_keyexpr_and_subscriber": "DD",
        "frame_push_put_router_to_client_timestamped": "P",
        "frame_push_put_minimal_scoped": "P",
        "frame_push_put_minimal_full_key": "P",
        "frame_push_put_with_timestamp": "P",
        "frame_push_put_encoding_attachment": "P",
        "frame_push_put_priority_express": "P",
        "frame_push_del": "P",
        "frame_declare_queryable": "DD",
        "frame_request_router_to_client": "Q",
        "frame_response_client_to_router": "R",
        "frame_response_final_client_to_router": "F",
        "frame_request_get_client_to_router": "Q",
        "frame_two_responses_and_final_router_to_client": "RRF",
        "frame_request_params_target_timeout_body": "Q",
        "frame_responses_router_to_client": "RR",
        "frame_response_final_router_to_client": "F",
        "frame_declare_publisher_interest": "DI",
        "frame_router_declare_subscriber_and_final_for_interest": "DD",
        "frame_publisher_put_scoped": "P",
        "frame_declare_liveliness_token": "DD",
        "frame_undeclare_subscriber": "D",
        "frame_push_router_to_client_exact_scope": "P",
        "frame_declare_keyexpr_only": "D",
        "frame_declare_subscriber_only": "D",
        "frame_push_router_to_client_attachment": "P",
        "frame_push_del_router_to_client": "P",
        "frame_declare_querier_interest": "DI",
        "frame_router_declare_final_no_match": "D",
        "frame_router_future_declare_queryable": "DD",
        "frame_querier_request": "Q",
        "frame_response_err_router_to_client": "R",
        "frame_response_final_after_err": "F",
        "frame_request_monotonic_router_to_client": "Q",
        "frame_response_reply_del_and_final": "RF",
        "frame_liveliness_subscriber_interest": "DI",
        "frame_router_declare_final_tokens": "D",
        "frame_router_future_token": "DD",
        "frame_liveliness_get_interest_current": "I",
        "frame_router_current_token_reply": "D",
        "frame_router_declare_final_current": "D",
        "frame_router_undeclare_token": "D",
        "frame_router_future_declare_subscriber": "D",
        "frame_router_future_undeclare_subscriber": "D",
        "frame_interest_final": "I",
        "frame_undeclare_queryable": "D",
        "frame_undeclare_token": "D",
        "frame_push_put_config_timestamping": "P",
        "frame_router_declare_subscriber_full_key": "DD",
        "frame_push_put_source_info": "P",
        "minimal_client_declare_subscriber": "D",
        "minimal_client_push_received": "P",
        "minimal_client_put": "P",
        "minimal_client_request": "Q",
        "minimal_client_response_received": "R",
        "minimal_client_response_final_received": "F",
        "minimal_client_declare_queryable": "D",
        "minimal_client_request_received": "Q",
        "minimal_client_response_and_final": "RF",
    ]

    static let udpContents: [String: String] = [
        "frame_push_put_minimal_full_key": "P",
        "frame_declare_keyexpr_and_subscriber": "DD",
        "frame_push_router_to_client": "P",
        "frame_request_get": "Q",
        "frame_response_and_final": "RF",
        "minimal_client_put": "P",
    ]

    @Test func tcpVectorsDecodeAndReencodeExactly() throws {
        let decoded = try decodeFrameVectors(file: "zenoh-1.10.2-tcp.jsonl", lengthPrefixed: true, expected: Self.tcpContents)
        try checkDecodedValues(decoded)
    }

    @Test func udpVectorsDecodeAndReencodeExactly() throws {
        _ = try decodeFrameVectors(file: "zenoh-1.10.2-udp.jsonl", lengthPrefixed: false, expected: Self.udpContents)
    }

    /// Spot checks that the vectors decode to what their notes say.
    private func checkDecodedValues(_ v: [String: [NetworkMessage]]) throws {
        // REQUEST(rid 2, scope 1 '/b/**' M, QoS 0d, target All, timeout 2000, QUERY(None, 'x=1', body enc 0 'qp')).
        guard case .request(let q)? = v["frame_request_params_target_timeout_body"]?.first else {
            Issue.record("no request"); return
        }
        #expect(q.requestID == 2)
        #expect(q.wireExpr == WireExpr(scope: 1, suffix: "/b/**", mapping: .sender))
        #expect(q.qos == .request && q.target == .all && q.timeoutMilliseconds == 2000 && q.budget == nil)
        #expect(q.body.consolidation == ConsolidationMode.none)
        #expect(q.body.parameters == "x=1")
        #expect(q.body.body == QueryBody(encoding: .zenohBytes, payload: [0x71, 0x70][...]))

        guard case .request(let mono)? = v["frame_request_monotonic_router_to_client"]?.first else { Issue.record("no request"); return }
        #expect(mono.body.consolidation == .monotonic)
        #expect(mono.wireExpr == WireExpr(scope: 5, suffix: "/**", mapping: .receiver))
        guard case .request(let minimal)? = v["minimal_client_request"]?.first else { Issue.record("no request"); return }
        #expect(minimal.body == Query() && minimal.requestID == 7)

        // RESPONSE with responder id, then a reply PUT.
        guard case .response(let resp)? = v["frame_response_client_to_router"]?.first else { Issue.record("no response"); return }
        #expect(resp.responderID == ResponderID(zid: ZenohID("79a664f9635b8892320989b061577f7f")!, entityID: 7))
        #expect(resp.body == .reply(Reply(body: .put(Put(payload: Array("reply-from-A".utf8)[...])))))
        guard case .response(let errResp)? = v["frame_response_err_router_to_client"]?.first else { Issue.record("no response"); return }
        #expect(errResp.body == .err(Err(payload: Array("boom".utf8)[...])))
        guard case .response(let delResp)? = v["frame_response_reply_del_and_final"]?.first else { Issue.record("no response"); return }
        #expect(delResp.body == .reply(Reply(body: .del(Del()))))
        #expect(v["frame_response_reply_del_and_final"]?.last == .responseFinal(ResponseFinal(requestID: 1, qos: .request)))

        // Declarations.
        #expect(v["frame_declare_keyexpr_and_subscriber"] == [
            .declare(Declare(declaration: .keyExpr(id: 1, wireExpr: WireExpr(scope: 0, suffix: "demo/example", mapping: .receiver)),
                             qos: .declare)),
            .declare(Declare(declaration: .subscriber(id: 1, wireExpr: WireExpr(scope: 1, suffix: "/**", mapping: .sender)),
                             qos: .declare)),
        ])
        #expect(v["frame_router_future_declare_queryable"]?.last == .declare(Declare(
            declaration: .queryable(id: 1, wireExpr: WireExpr(scope: 4, suffix: "", mapping: .sender),
                                    info: QueryableInfo(complete: true, distance: 0)), qos: .declare)))
        #expect(v["frame_router_declare_final_no_match"] == [.declare(Declare(declaration: .final, interestID: 3, qos: .declare))])
        #expect(v["frame_router_current_token_reply"] == [.declare(Declare(
            declaration: .token(id: 0, wireExpr: WireExpr(scope: 7, suffix: "", mapping: .sender)), interestID: 6, qos: .declare))])
        #expect(v["frame_undeclare_subscriber"] == [.declare(Declare(declaration: .undeclareSubscriber(id: 1, wireExpr: nil), qos: .declare))])
        #expect(v["frame_router_undeclare_token"] == [.declare(Declare(
            declaration: .undeclareToken(id: 2, wireExpr: WireExpr(scope: 0, suffix: "", mapping: .receiver)), qos: .declare))])
        #expect(v["frame_undeclare_queryable"] == [.declare(Declare(
            declaration: .undeclareQueryable(id: 2, wireExpr: WireExpr(scope: 0, suffix: "", mapping: .receiver)), qos: .declare))])

        // Interests.
        #expect(v["frame_declare_publisher_interest"]?.last == .interest(Interest(
            id: 3, mode: .currentFuture, options: [.keyExprs, .subscribers, .restricted],
            wireExpr: WireExpr(scope: 3, suffix: "", mapping: .sender), qos: .declare)))
        #expect(v["frame_liveliness_get_interest_current"] == [.interest(Interest(
            id: 6, mode: .current, options: [.keyExprs, .tokens, .restricted],
            wireExpr: WireExpr(scope: 6, suffix: "/**", mapping: .sender), qos: .declare))])
        #expect(v["frame_interest_final"] == [.interest(Interest(id: 1, mode: .final, qos: .declare))])
    }

    /// Decodes every vector named `frame_*` or `minimal_client_*` (but the
    /// handshake and close ones): strips the TCP length prefix and the FRAME
    /// header, SN and extensions, then decodes network messages to the end,
    /// re-encoding each and comparing with the bytes it came from.
    private func decodeFrameVectors(file: String, lengthPrefixed: Bool,
                                    expected: [String: String]) throws -> [String: [NetworkMessage]] {
        var out: [String: [NetworkMessage]] = [:]
        for vector in try Self.loadVectors(file) {
            let name = vector.name
            guard name.hasPrefix("frame_") || name.hasPrefix("minimal_client_") else { continue }
            guard !["init", "open", "close"].contains(where: { name.contains($0) }) else { continue }
            let bytes = try #require([UInt8](hex: vector.hex), "\(name): bad hex")
            var r = WireReader(bytes)
            if lengthPrefixed {
                let length = try r.readUInt16LE("length")
                #expect(Int(length) == bytes.count - 2, "\(name): length prefix")
            }
            let frameHeader = try r.readByte("FRAME")
            try #require(Header.id(frameHeader) == 0x05, "\(name): not a FRAME")
            _ = try r.readZInt("FRAME.sn")
            var more = frameHeader & Header.z != 0
            while more { more = try r.readExtension("FRAME.extension").more }

            var messages: [NetworkMessage] = []
            while !r.isAtEnd {
                let start = r.index
                let m: NetworkMessage
                do { m = try NetworkMessage.decode(from: &r) } catch {
                    Issue.record("\(name): message \(messages.count) at byte \(start): \(error)")
                    break
                }
                let original = Array(bytes[start..<r.index])
                let again = try encoded { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }
                #expect(again.hex == original.hex, "\(name): message \(messages.count) re-encodes differently\n\(m)")
                messages.append(m)
            }
            #expect(Self.contents(messages) == expected[name], "\(name)")
            out[name] = messages
        }
        #expect(Set(out.keys) == Set(expected.keys), "vectors in \(file)")
        return out
    }

    private static func contents(_ messages: [NetworkMessage]) -> String {
        String(messages.map { (m: NetworkMessage) -> Character in
            switch m {
            case .push: return "P"
            case .request: return "Q"
            case .response: return "R"
            case .responseFinal: return "F"
            case .declare: return "D"
            case .interest: return "I"
            case .oam: return "O"
            }
        })
    }

    private struct Vector: Decodable {
        var name: String
        var hex: String
    }

    private static func loadVectors(_ file: String) throws -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try JSONDecoder().decode(Vector.self, from: Data(line.utf8))
        }
    }
}
