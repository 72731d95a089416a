import Foundation
import PetrelSession
import Testing

/// Polls `condition` every 10 ms until it holds or `timeout` passes; whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// Waits `duration` on purpose: the test checks that nothing more arrives in
/// that time (an absence cannot be polled for), or that time itself passes
/// (a lease, a flush interval). Every other wait polls.
func quietPeriod(_ duration: Duration) async {
    try? await Task.sleep(for: duration)
}

/// What the router knows of the network's subscribers, queryables and
/// tokens, seen through a session of its own with the interest a gateway
/// uses: a test waits until a declaration has reached the router instead of
/// sleeping for a guessed propagation time.
struct RouterView {
    let session: Session

    static func open(_ router: ZenohRouter) async throws -> RouterView {
        let session = try await openSession(router.tcp)
        session.watchDeclarations {}
        return RouterView(session: session)
    }

    func close() async { await session.close() }

    /// Until the router knows a subscriber whose key intersects `key`.
    func subscriber(_ key: String, timeout: Duration = .seconds(10)) async -> Bool {
        guard let k = try? KeyExpr(key) else { return false }
        return await eventually(timeout: timeout) { session.declarationView.remoteSubscribers.contains { $0.intersects(k) } }
    }

    /// Until the router knows a queryable whose key intersects `key`.
    func queryable(_ key: String, timeout: Duration = .seconds(10)) async -> Bool {
        guard let k = try? KeyExpr(key) else { return false }
        return await eventually(timeout: timeout) { session.declarationView.remoteQueryables.contains { $0.key.intersects(k) } }
    }

    /// Until the router has no subscriber intersecting `key` any more.
    func noSubscriber(_ key: String, timeout: Duration = .seconds(10)) async -> Bool {
        guard let k = try? KeyExpr(key) else { return false }
        return await eventually(timeout: timeout) { !session.declarationView.remoteSubscribers.contains { $0.intersects(k) } }
    }

    /// Until a liveliness get on `key` lists `expected` exactly.
    func tokens(_ key: String, are expected: Set<String>, timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) {
            guard let replies = try? await session.livelinessGet(key, timeout: .seconds(1)) else { return false }
            var alive = Set<String>()
            for await r in replies { if let s = r.sample { alive.insert(s.key) } }
            return alive == expected
        }
    }

    /// Opens a view of `router`, waits for `what`, closes it; records a test
    /// issue when the declaration does not show up.
    static func waitFor(_ router: ZenohRouter, _ what: @Sendable (RouterView) async -> Bool,
                      _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let view = try await open(router)
        let seen = await what(view)
        await view.close()
        #expect(seen, "\(comment) did not reach the router", sourceLocation: sourceLocation)
    }
}
