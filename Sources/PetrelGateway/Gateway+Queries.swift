import PetrelKeyExpr
import PetrelSession
import PetrelTime
import PetrelWire
import Synchronization

// Queries: a device's queries go upstream and to the other devices'
// queryables; queries for a device's queryable come from the agent's session.
extension Gateway {
    /// A device's `get`: its replies come from upstream (through the agent's
    /// session) and from other devices with a matching queryable, all under
    /// the device's request id, then one final answer.
    func handleRequest(_ request: Request, from id: UInt32) {
        guard let k = resolveKey(request.wireExpr, from: id),
              let origin = faces.withLock({ $0[id]?.transport }) else { return }
        count { $0.queriesFromDevices += 1 }
        let fan = QueryFanIn(requestID: request.requestID, transport: origin)
        let q = request.body
        let timeout = Duration.milliseconds(Int64(clamping: request.timeoutMilliseconds ?? 10_000))
        // Other devices with a queryable on the key: the request goes to each under an id of that face.
        let local: [(UInt32, Request)] = faces.withLock { fs in
            var out: [(UInt32, Request)] = []
            for (fid, var f) in fs where fid != id {
                guard f.queryables.values.contains(where: { $0.key.intersects(k) && (request.target != .allComplete || $0.complete) }) else { continue }
                let rid = f.takeRequestID()
                f.forwarded[rid] = .local(fan)
                fs[fid] = f
                var r = request
                r.requestID = rid
                r.wireExpr = WireExpr(k.string)
                out.append((fid, r))
            }
            return out
        }
        let upstream = session.isConnected
        // The agent's own queryables (admin space, storages): the router does
        // not send a query back to the session it came from, so ask them here.
        for _ in 0..<(local.count + (upstream ? 1 : 0) + 1) { fan.addSource() }
        for (fid, r) in local {
            faces.withLock { $0[fid]?.transport }?.deliver(r, priority: .data)
        }
        let selector = q.parameters.isEmpty ? k.string : k.string + "?" + q.parameters
        let session = self.session
        fan.finish(after: timeout)
        Task {
            _ = await session.answerLocally(request, key: k.string) { fan.forward($0) }
            fan.sourceDone()
        }
        guard upstream else { return }
        Task {
            do {
                let replies = try await session.get(selector, target: request.target, consolidation: .none, timeout: timeout,
                                                    payload: q.body.map { Array($0.payload) }, encoding: q.body?.encoding ?? .zenohBytes,
                                                    attachment: q.attachment.map { Array($0) })
                for await reply in replies { fan.forward(Self.response(for: reply)) }
            } catch {
                // Not connected after all: the other sources still answer.
            }
            fan.sourceDone()
        }
    }

    static func response(for reply: PetrelSession.Reply) -> Response {
        let responder = reply.replierID.map { ResponderID(zid: $0, entityID: 0) }
        switch reply.result {
        case .success(let s):
            let body: PushBody = s.kind == .put
                ? .put(Put(payload: s.payload, encoding: s.encoding, timestamp: s.timestamp, attachment: s.attachment))
                : .del(Del(timestamp: s.timestamp, attachment: s.attachment))
            return Response(requestID: 0, wireExpr: WireExpr(s.key), body: .reply(PetrelWire.Reply(body: body)), qos: .request,
                            responderID: responder)
        case .failure(let e):
            return Response(requestID: 0, wireExpr: WireExpr(""), body: .err(Err(payload: e.payload, encoding: e.encoding)),
                            qos: .request, responderID: responder)
        }
    }

    /// A query that reached the agent's session for device `id`'s queryable:
    /// sent to the device, its answers passed back, done at its final answer
    /// (or when the device goes away, or after the query's time).
    func forwardUpstreamQuery(_ query: PetrelSession.Query, to id: UInt32) async {
        count { $0.queriesToDevices += 1 }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let once = Once(c)
            // The device has 10 s to answer; the timer goes as soon as it does.
            let timer = Task {
                try? await Task.sleep(for: .seconds(10))
                once.resume()
            }
            let sent: Bool = faces.withLock { fs in
                guard var f = fs[id] else { return false }
                let rid = f.takeRequestID()
                f.forwarded[rid] = .upstream(query, done: {
                    timer.cancel()
                    once.resume()
                })
                fs[id] = f
                let body = query.payload.map { QueryBody(encoding: query.encoding ?? .zenohBytes, payload: $0) }
                let wireQuery = PetrelWire.Query(consolidation: query.consolidation, parameters: query.parameters, body: body,
                                                 attachment: query.attachment)
                let request = Request(requestID: rid, wireExpr: WireExpr(query.key), body: wireQuery, qos: .request,
                                      target: query.target, timeoutMilliseconds: 10_000)
                f.transport.deliver(request, priority: .data)
                return true
            }
            if !sent {
                timer.cancel()
                once.resume()
            }
        }
    }

    func handleResponse(_ response: Response, from id: UInt32) {
        let found: (ForwardedQuery, String?)? = faces.withLock { fs in
            guard let f = fs[id], let fwd = f.forwarded[response.requestID] else { return nil }
            return (fwd, f.resolve(response.wireExpr))
        }
        guard let (fwd, key) = found else { return }
        var r = response
        if let key { r.wireExpr = WireExpr(key) }
        switch fwd {
        case .upstream(let query, _): query.relay(r)
        case .local(let fan): fan.forward(r)
        }
    }

    func handleResponseFinal(_ final: ResponseFinal, from id: UInt32) {
        guard let fwd = faces.withLock({ $0[id]?.forwarded.removeValue(forKey: final.requestID) }) else { return }
        switch fwd {
        case .upstream(_, let done): done()
        case .local(let fan): fan.sourceDone()
        }
    }
}

/// Resumes a continuation at most once, whoever comes first.
final class Once: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>
    init(_ c: CheckedContinuation<Void, Never>) { continuation = Mutex(c) }
    func resume() {
        continuation.withLock { c in
            c?.resume()
            c = nil
        }
    }
}
