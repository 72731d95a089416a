/// The chunk trie under `KeyExprTree`, without the values: it maps key
/// expressions to nodes and finds the nodes whose path intersects a key.
/// Kept apart from the generic tree so this code is compiled once, not run
/// through generic witness tables in client modules.
@usableFromInline
struct ChunkTrie: Sendable {
    struct Node: Sendable {
        var chunk: [UInt8]
        var parent: Int32
        var hash: UInt64
        var hasStar: Bool
        var isDoubleWild: Bool
        var isVerbatim: Bool
        /// Children without `*`, by chunk hash; colliding ones chain through `nextSameHash`.
        var literalChildren: [UInt64: Int32] = [:]
        /// Children whose chunk holds `*`: `*`, `**` and `$*` patterns.
        var wildChildren: [Int32] = []
        var nextSameHash: Int32 = -1
        /// Entry slots (of the owning tree) whose key expression ends here.
        var entrySlots: [Int32] = []

        var isUnused: Bool { entrySlots.isEmpty && literalChildren.isEmpty && wildChildren.isEmpty }

        static let unused = Node(chunk: [], parent: -1, hash: 0, hasStar: false, isDoubleWild: false, isVerbatim: false)
    }

    private var nodes: [Node] = [.unused]
    private var freeNodes: [Int32] = []

    @usableFromInline init() {}

    /// Whether `key` is short enough for `forEachSlot` (positions 0...n fit a 64-bit mask).
    @usableFromInline
    static func canLookUp(_ key: KeyExpr) -> Bool {
        key.withBytes { s in
            var slashes = 0
            for b in s where b == ASCII.slash {
                slashes &+= 1
                if slashes >= Lookup.maxChunks { return false }
            }
            return true
        }
    }

    /// Records `slot` at the node for `key`, creating the path as needed.
    mutating func attach(_ slot: Int32, at key: KeyExpr) -> Int32 {
        var node: Int32 = 0
        key.withBytes { s in
            var start = 0
            while start < s.count {
                let end = chunkEnd(s, from: start)
                node = child(of: node, chunk: UnsafeBufferPointer(rebasing: s[start..<end]))
                start = nextChunk(s, after: end)
            }
        }
        nodes[Int(node)].entrySlots.append(slot)
        return node
    }

    /// Forgets `slot` at `node`, and the nodes left holding nothing.
    mutating func detach(_ slot: Int32, from node: Int32) {
        let n = Int(node)
        if let k = nodes[n].entrySlots.firstIndex(of: slot) {
            nodes[n].entrySlots.swapAt(k, nodes[n].entrySlots.count - 1)
            nodes[n].entrySlots.removeLast()
        }
        prune(from: node)
    }

    /// Calls `body` with the slot of every entry whose key expression
    /// intersects `key` (at most 63 chunks), counting visited nodes.
    @usableFromInline
    func forEachSlot(intersecting key: KeyExpr, visited: inout Int, _ body: (Int32) -> Void) {
        key.withBytes { s in
            var n = 1
            for b in s where b == ASCII.slash { n &+= 1 }
            precondition(n <= Lookup.maxChunks, "checked by canLookUp")
            withUnsafeTemporaryAllocation(of: Lookup.Chunk.self, capacity: n) { chunks in
                var start = 0
                for k in 0..<n {
                    let end = chunkEnd(s, from: start)
                    chunks.initializeElement(at: k, to: Lookup.Chunk(s, start, end))
                    start = nextChunk(s, after: end)
                }
                let lookup = Lookup(bytes: s, chunks: UnsafeBufferPointer(chunks))
                visit(0, 1, lookup, &visited, body)
                chunks.deinitialize()
            }
        }
    }

    /// The looked-up key, split into chunks once.
    struct Lookup {
        /// Positions 0...n must fit in the 64-bit masks.
        static var maxChunks: Int { 63 }

        enum Kind: UInt8 { case plain, verbatim, singleWild, doubleWild, subChunkWild }

        struct Chunk {
            var start: Int
            var end: Int
            var kind: Kind
            var hash: UInt64

            init(_ s: KeyBytes, _ start: Int, _ end: Int) {
                self.start = start
                self.end = end
                // Verbatim first: `@a$*` is matched by nothing but itself.
                if isVerbatim(s, start) { kind = .verbatim }
                else if isDoubleWild(s, start, end) { kind = .doubleWild }
                else if isSingleWild(s, start, end) { kind = .singleWild }
                else if contains(ASCII.star, s, start, end) { kind = .subChunkWild }
                else { kind = .plain }
                hash = kind == .plain || kind == .verbatim ? chunkHash(UnsafeBufferPointer(rebasing: s[start..<end])) : 0
            }

            var isWild: Bool { kind == .singleWild || kind == .doubleWild || kind == .subChunkWild }
        }

        let bytes: KeyBytes
        let chunks: UnsafeBufferPointer<Chunk>
        var count: Int { chunks.count }

        func sameChunk(_ a: Int, _ b: Int) -> Bool {
            bytesEqual(bytes, chunks[a].start, chunks[a].end, bytes, chunks[b].start, chunks[b].end)
        }
    }

    /// At `nodeIndex` with `positions` (bit j: the looked-up key's chunks from
    /// j on may still match the path below this node).
    private func visit(
        _ nodeIndex: Int32, _ positions: UInt64, _ lookup: Lookup, _ visited: inout Int, _ body: (Int32) -> Void
    ) {
        visited &+= 1
        let n = lookup.count
        var positions = positions
        // A looked-up `**` may match nothing: its position implies the next one.
        for j in 0..<n where positions & (1 << j) != 0 && lookup.chunks[j].kind == .doubleWild {
            positions |= 1 << (j + 1)
        }
        let node = Int(nodeIndex)
        if positions & (1 << n) != 0 {
            for slot in nodes[node].entrySlots { body(slot) }
        }
        for child in nodes[node].wildChildren {
            let next = transition(positions, child, lookup)
            if next != 0 { visit(child, next, lookup, &visited, body) }
        }
        let open = positions & ~(1 << n)
        guard open != 0, !nodes[node].literalChildren.isEmpty else { return }

        var anyWild = false
        var rest = open
        while rest != 0 {
            let j = rest.trailingZeroBitCount
            rest &= rest - 1
            if lookup.chunks[j].isWild { anyWild = true; break }
        }
        if anyWild {
            // A wild looked-up chunk may match any plain child.
            for (_, head) in nodes[node].literalChildren {
                var child = head
                while child >= 0 {
                    let next = transition(positions, child, lookup)
                    if next != 0 { visit(child, next, lookup, &visited, body) }
                    child = nodes[Int(child)].nextSameHash
                }
            }
            return
        }
        // Only plain chunks at the open positions: plain children can only be
        // equal to one of them.
        rest = open
        while rest != 0 {
            let j = rest.trailingZeroBitCount
            rest &= rest - 1
            var earlier = open & ((1 << j) - 1)
            var seen = false
            while earlier != 0 {
                let i = earlier.trailingZeroBitCount
                earlier &= earlier - 1
                if lookup.sameChunk(i, j) { seen = true; break }
            }
            if seen { continue }
            guard let child = literalChild(of: node, lookup.bytes, lookup.chunks[j]) else { continue }
            let next = transition(positions, child, lookup)
            if next != 0 { visit(child, next, lookup, &visited, body) }
        }
    }

    /// The positions that can still match below `child`, from those that
    /// could match at its parent.
    private func transition(_ positions: UInt64, _ childIndex: Int32, _ lookup: Lookup) -> UInt64 {
        let n = lookup.count
        let child = Int(childIndex)
        if nodes[child].isDoubleWild {
            // The entry's `**` takes zero or more looked-up chunks, none verbatim.
            var out: UInt64 = 0
            var reached = false
            for k in 0...n {
                reached = positions & (1 << k) != 0 || (reached && lookup.chunks[k - 1].kind != .verbatim)
                if reached { out |= 1 << k }
            }
            return out
        }
        var out: UInt64 = 0
        let childIsVerbatim = nodes[child].isVerbatim
        nodes[child].chunk.withUnsafeBufferPointer { c in
            var rest = positions & ~(1 << n)
            while rest != 0 {
                let j = rest.trailingZeroBitCount
                rest &= rest - 1
                let q = lookup.chunks[j]
                if q.kind == .doubleWild {
                    // The looked-up `**` takes this chunk (and maybe more).
                    if !childIsVerbatim { out |= 1 << j }
                } else if chunksIntersect(c, 0, c.count, lookup.bytes, q.start, q.end) {
                    out |= 1 << (j + 1)
                }
            }
        }
        return out
    }

    private func literalChild(of node: Int, _ s: KeyBytes, _ q: Lookup.Chunk) -> Int32? {
        var child = nodes[node].literalChildren[q.hash] ?? -1
        while child >= 0 {
            let equal = nodes[Int(child)].chunk.withUnsafeBufferPointer { c in
                bytesEqual(c, 0, c.count, s, q.start, q.end)
            }
            if equal { return child }
            child = nodes[Int(child)].nextSameHash
        }
        return nil
    }

    /// The child of `parent` for `chunk`, created if missing.
    private mutating func child(of parent: Int32, chunk: KeyBytes) -> Int32 {
        let p = Int(parent)
        let hasStar = contains(ASCII.star, chunk, 0, chunk.count)
        if hasStar {
            for c in nodes[p].wildChildren where nodes[Int(c)].chunk.elementsEqual(chunk) { return c }
        } else {
            var c = nodes[p].literalChildren[chunkHash(chunk)] ?? -1
            while c >= 0 {
                if nodes[Int(c)].chunk.elementsEqual(chunk) { return c }
                c = nodes[Int(c)].nextSameHash
            }
        }
        var node = Node(
            chunk: Array(chunk), parent: parent, hash: hasStar ? 0 : chunkHash(chunk), hasStar: hasStar,
            isDoubleWild: isDoubleWild(chunk, 0, chunk.count), isVerbatim: isVerbatim(chunk, 0))
        let index: Int32
        if hasStar {
            index = allocate(node)
            nodes[p].wildChildren.append(index)
        } else {
            node.nextSameHash = nodes[p].literalChildren[node.hash] ?? -1
            let hash = node.hash
            index = allocate(node)
            nodes[p].literalChildren[hash] = index
        }
        return index
    }

    private mutating func allocate(_ node: Node) -> Int32 {
        if let free = freeNodes.popLast() {
            nodes[Int(free)] = node
            return free
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    /// Removes `start` and its ancestors while they hold nothing.
    private mutating func prune(from start: Int32) {
        var n = start
        while n != 0, nodes[Int(n)].isUnused {
            let node = nodes[Int(n)]
            let p = Int(node.parent)
            if node.hasStar {
                if let k = nodes[p].wildChildren.firstIndex(of: n) { nodes[p].wildChildren.remove(at: k) }
            } else if nodes[p].literalChildren[node.hash] == n {
                if node.nextSameHash >= 0 {
                    nodes[p].literalChildren[node.hash] = node.nextSameHash
                } else {
                    nodes[p].literalChildren.removeValue(forKey: node.hash)
                }
            } else {
                var c = nodes[p].literalChildren[node.hash] ?? -1
                while c >= 0 {
                    let next = nodes[Int(c)].nextSameHash
                    if next == n {
                        nodes[Int(c)].nextSameHash = node.nextSameHash
                        break
                    }
                    c = next
                }
            }
            nodes[Int(n)] = .unused
            freeNodes.append(n)
            n = node.parent
        }
    }
}

/// FNV-1a over a chunk's bytes: the trie's own hash, so a lookup hashes a
/// slice of the looked-up key without making a String of it.
func chunkHash(_ chunk: KeyBytes) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in chunk {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}
