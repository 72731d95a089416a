/// A set of key expressions with values (subscriptions, queryables,
/// storages) that finds every entry whose key expression intersects a given
/// key expression without looking at unrelated entries.
///
/// Entries live in a trie of chunks. A lookup walks it with the set of
/// positions in the looked-up key that can still be matched (a bit mask),
/// descending only into children that can match one of them: an exact child
/// by hash for a plain chunk, plus the children holding `*`, `**` or `$*`.
/// A looked-up chunk that is itself wild (`*`, `**`, `$*`) has to try every
/// child at that level. The result is exactly the entries `e` with
/// `e.key.intersects(key)`, each once, in no particular order.
///
/// Looked-up keys of more than 63 chunks fall back to checking every entry
/// (correct, just linear).
public struct KeyExprTree<Value> {
    /// Names one inserted entry; stays unique after removal (a removed id is
    /// never reused for another entry).
    public struct EntryID: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline let slot: Int32
        @usableFromInline let generation: UInt32
        @inlinable init(slot: Int32, generation: UInt32) {
            self.slot = slot
            self.generation = generation
        }
        public var description: String { "entry \(slot).\(generation)" }
    }

    @usableFromInline
    struct Entry {
        @usableFromInline var key: KeyExpr
        @usableFromInline var value: Value
        @usableFromInline var node: Int32
    }

    @usableFromInline
    struct Slot {
        @usableFromInline var generation: UInt32
        @usableFromInline var entry: Entry?
    }

    // The lookup path is @inlinable so that it is specialized for `Value` in
    // the client module (unspecialized, generic metadata look-ups cost more
    // than the walk itself).
    @usableFromInline var trie = ChunkTrie()
    @usableFromInline var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    /// The number of entries.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    // MARK: adding and removing

    /// Adds `value` under `key` (several entries may share a key) and returns
    /// the id that removes it.
    @discardableResult
    public mutating func insert(_ key: KeyExpr, _ value: Value) -> EntryID {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = Int32(slots.count)
            slots.append(Slot(generation: 0, entry: nil))
        }
        let node = trie.attach(slot, at: key)
        slots[Int(slot)].entry = Entry(key: key, value: value, node: node)
        count += 1
        return EntryID(slot: slot, generation: slots[Int(slot)].generation)
    }

    /// Removes the entry `id` names and returns its value; nil if there is
    /// no such entry (already removed, or from another tree).
    @discardableResult
    public mutating func remove(_ id: EntryID) -> Value? {
        guard let entry = entry(id) else { return nil }
        slots[Int(id.slot)].entry = nil
        slots[Int(id.slot)].generation &+= 1
        freeSlots.append(id.slot)
        count -= 1
        trie.detach(id.slot, from: entry.node)
        return entry.value
    }

    /// The value of entry `id`, nil if there is no such entry.
    public subscript(id: EntryID) -> Value? { entry(id)?.value }

    /// The key expression of entry `id`, nil if there is no such entry.
    public func key(of id: EntryID) -> KeyExpr? { entry(id)?.key }

    private func entry(_ id: EntryID) -> Entry? {
        guard id.slot >= 0, Int(id.slot) < slots.count, slots[Int(id.slot)].generation == id.generation else { return nil }
        return slots[Int(id.slot)].entry
    }

    /// Calls `body` on every entry, in no particular order.
    public func forEachEntry(_ body: (EntryID, KeyExpr, Value) -> Void) {
        for (slot, s) in slots.enumerated() {
            if let e = s.entry { body(EntryID(slot: Int32(slot), generation: s.generation), e.key, e.value) }
        }
    }

    // MARK: lookup

    /// The values of every entry whose key expression intersects `key`.
    @inlinable
    public func intersecting(_ key: KeyExpr) -> [Value] {
        var out: [Value] = []
        forEachIntersectingEntry(key) { _, value in out.append(value) }
        return out
    }

    /// Calls `body` with the value of every entry whose key expression
    /// intersects `key`, each once, in no particular order. Allocates nothing
    /// for keys of up to 63 chunks. `body` must not change the tree.
    @inlinable
    public func forEachIntersecting(_ key: KeyExpr, _ body: (Value) -> Void) {
        forEachIntersectingEntry(key) { _, value in body(value) }
    }

    /// Like `forEachIntersecting`, with each entry's id.
    @inlinable
    public func forEachIntersectingEntry(_ key: KeyExpr, _ body: (EntryID, Value) -> Void) {
        var visited = 0
        forEachIntersectingEntry(key, visited: &visited, body)
    }

    /// The number of trie nodes a lookup of `key` visits (for tests: it
    /// should follow the matches, not the size of the tree).
    func nodesVisited(lookingUp key: KeyExpr) -> Int {
        var visited = 0
        forEachIntersectingEntry(key, visited: &visited) { _, _ in }
        return visited
    }

    @inlinable
    func forEachIntersectingEntry(_ key: KeyExpr, visited: inout Int, _ body: (EntryID, Value) -> Void) {
        guard count > 0 else { return }
        guard ChunkTrie.canLookUp(key) else {
            forEachEntry { id, entryKey, value in
                if entryKey.intersects(key) { body(id, value) }
            }
            return
        }
        trie.forEachSlot(intersecting: key, visited: &visited) { slot in
            let s = slots[Int(slot)]
            if let e = s.entry { body(EntryID(slot: slot, generation: s.generation), e.value) }
        }
    }
}

extension KeyExprTree: Sendable where Value: Sendable {}
extension KeyExprTree.Entry: Sendable where Value: Sendable {}
extension KeyExprTree.Slot: Sendable where Value: Sendable {}
