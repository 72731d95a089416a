/// A binary min-heap of (time, key record) items: which entry is the oldest,
/// across all keys, for eviction by age, count or bytes.
///
/// Items are never removed from the middle: when an entry is replaced or
/// deleted, its item stays and is recognised as stale when it reaches the top
/// (its record's generation or head time no longer matches). The store
/// rebuilds the heap when stale items outnumber live ones.
struct EvictionHeap {
    struct Item {
        /// NTP64 time of the entry.
        var time: UInt64
        /// The key record holding the entry.
        var record: Int32
        /// The record's generation when the item was pushed.
        var generation: UInt32
    }

    private(set) var items: [Item] = []

    var count: Int { items.count }
    var top: Item? { items.first }

    mutating func removeAll() { items.removeAll(keepingCapacity: false) }

    mutating func push(_ item: Item) {
        items.append(item)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].time < items[parent].time else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Item? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return first
    }

    /// Replaces the contents with `newItems` in O(n).
    mutating func rebuild(_ newItems: [Item]) {
        items = newItems
        var i = items.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let l = 2 * i + 1
            guard l < n else { return }
            let r = l + 1
            let child = r < n && items[r].time < items[l].time ? r : l
            guard items[child].time < items[i].time else { return }
            items.swapAt(i, child)
            i = child
        }
    }
}
