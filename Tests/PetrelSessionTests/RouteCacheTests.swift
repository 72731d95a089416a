import PetrelKeyExpr
import PetrelWire
import Synchronization
import Testing
@testable import PetrelSession

/// The push path's route cache: which subscribers a key reaches, remembered
/// per wire expression, the two used last compared before any hashing.
@Suite("Routing samples to subscribers")
struct RouteCacheTests {
    final class Hits: Sendable {
        let names = Mutex<[String]>([])
        func handler(_ name: String) -> @Sendable (Sample) -> Void { { _ in self.names.withLock { $0.append(name) } } }
    }

    /// Routes one sample on `key`; returns the subscribers it reached, sorted.
    static func deliver(_ s: inout SessionState, _ key: String, _ hits: Hits) -> [String] {
        let sample = Sample(kind: .put, key: key, payload: [])
        for h in s.route(WireExpr(key))?.handlers ?? [] { h(sample) }
        return hits.names.withLock { n in defer { n = [] }; return n.sorted() }
    }

    @Test("keys taking turns (a ping in, a pong out) each reach their own subscribers, every time")
    func alternatingKeys() throws {
        var s = SessionState()
        let hits = Hits()
        s.subscribers[1] = SubscriberEntry(key: try KeyExpr("test/ping"), handler: hits.handler("ping"))
        s.subscribers[2] = SubscriberEntry(key: try KeyExpr("test/*"), handler: hits.handler("any"))
        for _ in 0..<3 {
            #expect(Self.deliver(&s, "test/ping", hits) == ["any", "ping"])
            #expect(Self.deliver(&s, "test/pong", hits) == ["any"])
            #expect(Self.deliver(&s, "test/ping", hits) == ["any", "ping"])
            #expect(Self.deliver(&s, "other/key", hits) == [])
        }
    }

    @Test("a subscriber declared after a key was routed is reached from then on")
    func newSubscriber() throws {
        var s = SessionState()
        let hits = Hits()
        s.subscribers[1] = SubscriberEntry(key: try KeyExpr("a/b"), handler: hits.handler("first"))
        #expect(Self.deliver(&s, "a/b", hits) == ["first"])
        #expect(Self.deliver(&s, "a/c", hits) == [])
        // What declaring a subscriber does to the cache (Session+Subscribe).
        s.subscribers[2] = SubscriberEntry(key: try KeyExpr("a/*"), handler: hits.handler("second"))
        s.routes.removeAll()
        #expect(Self.deliver(&s, "a/b", hits) == ["first", "second"])
        #expect(Self.deliver(&s, "a/c", hits) == ["second"])
    }
}
