import Foundation
import Logging
import PetrelSession
import PetrelTransport
import Synchronization

/// Opens a Petrel session to `endpoint`, failing the test if no router answers.
func openSession(_ endpoint: String, logger: Logger = Logger(label: "test"), configure: (inout SessionConfig) -> Void = { _ in }) async throws -> Session {
    var config = SessionConfig(connect: [try Endpoint(endpoint)])
    config.reconnect.initialDelay = .milliseconds(50)
    config.reconnect.maxDelay = .milliseconds(500)
    configure(&config)
    return try await Session.open(config, waitForRouter: .seconds(10), logger: logger)
}

/// Collects values from callbacks on other threads.
final class Collector<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func add(_ t: T) { items.withLock { $0.append(t) } }
    var values: [T] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }

    /// Waits until at least `n` values arrived or the timeout passes.
    func wait(for n: Int, timeout: Duration = .seconds(15)) async -> [T] {
        let deadline = ContinuousClock.now + timeout
        while count < n && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return values
    }
}

