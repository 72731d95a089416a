import Synchronization

/// The `finish()` of every AsyncStream a session handed out, so undeclaring
/// or closing ends the consumer's `for await` loop.
final class StreamFinishers: Sendable {
    enum Kind: Hashable { case subscriber, queryable, liveliness }
    private struct Key: Hashable { var id: UInt32; var kind: Kind }
    private let finishers = Mutex<[Key: @Sendable () -> Void]>([:])

    func add(id: UInt32, kind: Kind, _ finish: @escaping @Sendable () -> Void) {
        finishers.withLock { $0[Key(id: id, kind: kind)] = finish }
    }

    func finish(id: UInt32, kind: Kind) {
        let f = finishers.withLock { $0.removeValue(forKey: Key(id: id, kind: kind)) }
        f?()
    }

    func finishAll() {
        let all = finishers.withLock { f in
            let all = Array(f.values)
            f.removeAll()
            return all
        }
        for f in all { f() }
    }
}
