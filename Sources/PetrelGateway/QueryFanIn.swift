import Synchronization
import PetrelTransport
import PetrelWire

/// Gathers the answers to one device's query from several places (upstream
/// and other devices) into that device's request: replies pass through as
/// they come, and the one final answer goes out when every source is done or
/// the query's time is up.
final class QueryFanIn: Sendable {
    let requestID: UInt32
    let transport: any DeviceLink
    private let state = Mutex<(open: Int, finished: Bool)>((0, false))
    private let timer = Mutex<Task<Void, Never>?>(nil)

    init(requestID: UInt32, transport: any DeviceLink) {
        self.requestID = requestID
        self.transport = transport
    }

    /// Ends the query after `timeout` with what arrived, unless it ended before.
    func finish(after timeout: Duration) {
        let task = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.finish() }
        }
        timer.withLock { $0 = task }
        if state.withLock({ $0.finished }) { task.cancel() }
    }

    /// One more place will answer.
    func addSource() {
        state.withLock { $0.open += 1 }
    }

    func forward(_ response: Response) {
        guard !state.withLock({ $0.finished }) else { return }
        var r = response
        r.requestID = requestID
        transport.deliver(r, priority: .data)
    }

    /// A source gave its final answer.
    func sourceDone() {
        let last = state.withLock { s -> Bool in
            s.open -= 1
            return s.open <= 0 && !s.finished
        }
        if last { finish() }
    }

    /// Ends the query now (timeout, or no source at all).
    func finish() {
        let first = state.withLock { s -> Bool in
            if s.finished { return false }
            s.finished = true
            return true
        }
        guard first else { return }
        transport.deliver(ResponseFinal(requestID: requestID, qos: .request), priority: .data)
        timer.withLock { $0 }?.cancel()
    }
}
