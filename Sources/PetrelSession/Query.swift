import PetrelKeyExpr
import PetrelTime
import PetrelWire
import Synchronization

/// A query received by a queryable. Answer with `reply`, `replyDelete` or
/// `replyError`; the session sends the final answer when the handler returns.
public final class Query: Sendable {
    /// The key expression of the query (may be wild).
    public let key: String
    /// The selector's parameters (the text after `?`).
    public let parameters: String
    public let payload: ZBytes?
    public let encoding: Encoding?
    public let attachment: ZBytes?
    public let consolidation: ConsolidationMode
    public let target: QueryTarget

    let requestID: UInt32
    let send: @Sendable (Response) -> Void
    let keyExpr: KeyExpr?

    init(key: String, parameters: String, payload: ZBytes?, encoding: Encoding?, attachment: ZBytes?,
         consolidation: ConsolidationMode, target: QueryTarget, requestID: UInt32, send: @escaping @Sendable (Response) -> Void) {
        self.key = key
        self.parameters = parameters
        self.payload = payload
        self.encoding = encoding
        self.attachment = attachment
        self.consolidation = consolidation
        self.target = target
        self.requestID = requestID
        self.send = send
        self.keyExpr = try? KeyExpr(key)
    }

    /// The selector as text: `key?parameters`.
    public var selector: String { parameters.isEmpty ? key : key + "?" + parameters }

    /// Answers with a value on `key` (which should intersect the query's key expression).
    public func reply(_ key: String, _ payload: [UInt8], encoding: Encoding = .zenohBytes,
                      timestamp: Timestamp? = nil, attachment: [UInt8]? = nil) {
        let put = Put(payload: payload[...], encoding: encoding, timestamp: timestamp, attachment: attachment.map { $0[...] })
        send(Response(requestID: requestID, wireExpr: WireExpr(key), body: .reply(PetrelWire.Reply(body: .put(put))), qos: .request))
    }

    public func reply(_ key: String, _ text: String, encoding: Encoding = .textPlain, timestamp: Timestamp? = nil) {
        reply(key, Array(text.utf8), encoding: encoding, timestamp: timestamp)
    }

    /// Answers that `key` was deleted.
    public func replyDelete(_ key: String, timestamp: Timestamp? = nil) {
        send(Response(requestID: requestID, wireExpr: WireExpr(key),
                      body: .reply(PetrelWire.Reply(body: .del(Del(timestamp: timestamp)))), qos: .request))
    }

    /// Answers with an error value.
    public func replyError(_ payload: [UInt8], encoding: Encoding = .zenohBytes) {
        send(Response(requestID: requestID, wireExpr: WireExpr(key),
                      body: .err(Err(payload: payload[...], encoding: encoding)), qos: .request))
    }
}

extension Query {
    /// Passes on an answer from elsewhere (a gateway's device), re-addressed
    /// to this query's request.
    package func relay(_ response: Response) {
        var r = response
        r.requestID = requestID
        send(r)
    }
}
