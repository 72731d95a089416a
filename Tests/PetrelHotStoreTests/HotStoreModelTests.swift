import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// Random operations against a plain model of the store's rules: same
/// outcomes, same contents, under eviction, out-of-order samples and deletes.
@Suite struct HotStoreModelTests {
    /// The rules, written the obvious (slow) way. Times are unique, so "oldest" is unambiguous.
    struct Model {
        struct Item: Equatable {
            var time: Int64
            var payload: String
            var kind: StoredSample.Kind
        }

        let mode: HotStore.Mode
        let maxEntries: Int
        var keys: [String: [Item]] = [:] // sorted by time; key-value: one item

        mutating func store(_ key: String, _ item: Item) -> StoreOutcome {
            var items = keys[key] ?? []
            let outcome: StoreOutcome
            switch mode {
            case .keyValue:
                if let old = items.first {
                    if item.time <= old.time { return old.time == item.time ? .duplicate : .ignoredOlder }
                    items = [item]
                    outcome = .replaced
                } else {
                    items = [item]
                    outcome = .stored
                }
            case .timeSeries:
                if let first = items.first, first.kind == .delete, item.time <= first.time {
                    return first.time == item.time ? .duplicate : .ignoredOlder
                }
                if items.contains(where: { $0.time == item.time }) && item.kind == .put { return .duplicate }
                if item.kind == .delete {
                    items.removeAll { $0.time <= item.time }
                    items.insert(item, at: 0)
                } else {
                    items.append(item)
                    items.sort { $0.time < $1.time }
                }
                outcome = .stored
            }
            keys[key] = items
            while keys.values.reduce(0, { $0 + $1.count }) > maxEntries {
                // Evict the globally oldest entry.
                let (k, _) = keys.min { a, b in a.value[0].time < b.value[0].time }!
                keys[k]!.removeFirst()
                if keys[k]!.isEmpty { keys[k] = nil }
            }
            return outcome
        }

        func contents() -> [String: [Item]] {
            keys.mapValues { $0.filter { $0.kind == .put } }.filter { !$0.value.isEmpty }
        }
    }

    @Test(arguments: [HotStore.Mode.keyValue, .timeSeries], [7, 60, 1000])
    func randomOperationsMatchTheModel(mode: HotStore.Mode, maxEntries: Int) {
        var rng = SeededGenerator(seed: UInt64(maxEntries) &* 31 &+ (mode == .keyValue ? 1 : 2))
        let store = ClockedStore(mode, maxEntries: maxEntries).store
        var model = Model(mode: mode, maxEntries: maxEntries)
        var usedTimes = Set<Int64>()
        var sent: [(key: String, item: Model.Item, sample: StoredSample)] = []
        for step in 0..<3000 {
            if !sent.isEmpty && Int.random(in: 0..<15, using: &rng) == 0 {
                // A replay: the very same sample again (receivers may see replays).
                let (key, item, sample) = sent.randomElement(using: &rng)!
                #expect(store.store(sample) == model.store(key, item), "replay at step \(step)")
                continue
            }
            let key = "k/\(Int.random(in: 0..<12, using: &rng))"
            // Mostly increasing times, with stragglers; all distinct.
            var time = Int64(step * 10) + Int64.random(in: -400...5, using: &rng)
            while usedTimes.contains(time) || time < 0 { time += 1 }
            usedTimes.insert(time)
            let isDelete = Int.random(in: 0..<15, using: &rng) == 0
            let payload = String(repeating: "p", count: Int.random(in: 0..<40, using: &rng)) + "\(time)"
            let sample = isDelete ? delete(key, at: at(ms: time)) : put(key, at: at(ms: time), payload)
            let item = Model.Item(time: time, payload: isDelete ? "" : payload, kind: isDelete ? .delete : .put)
            sent.append((key, item, sample))
            #expect(store.store(sample) == model.store(key, item), "step \(step)")
            if step % 97 == 0 || step == 2999 {
                var got: [String: [Model.Item]] = [:]
                for s in store.query(ke("**")) {
                    got[s.key, default: []].append(.init(time: Int64((s.timestamp.time.rawValue - baseTime.rawValue) * 1000 >> 32) , payload: text(s), kind: s.kind))
                }
                let expected = model.contents()
                #expect(got.mapValues { $0.map(\.payload) } == expected.mapValues { $0.map(\.payload) }, "step \(step)")
                let entries = model.keys.values.reduce(0) { $0 + $1.count }
                #expect(store.snapshot().entries == entries, "step \(step)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
