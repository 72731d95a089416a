@testable import PetrelKeyExpr
import Testing

private func k(_ s: String) -> KeyExpr {
    do { return try KeyExpr(s) } catch { fatalError("\(error)") }
}

@Suite("KeyExprTree: dispatching to matching entries")
struct KeyExprTreeTests {
    @Test("a sample reaches every subscription it matches, and no other")
    func dispatch() {
        var subs = KeyExprTree<String>()
        subs.insert(k("demo/example/**"), "all of demo/example")
        subs.insert(k("demo/*/a"), "any a under demo")
        subs.insert(k("demo/example/a"), "exactly demo/example/a")
        subs.insert(k("demo/example/temp$*"), "temperatures")
        subs.insert(k("@admin/**"), "admin space")
        subs.insert(k("**"), "everything")
        subs.insert(k("other/x"), "unrelated")

        func hits(_ key: String) -> [String] { subs.intersecting(k(key)).sorted() }
        #expect(hits("demo/example/a") == [
            "all of demo/example", "any a under demo", "everything", "exactly demo/example/a",
        ])
        #expect(hits("demo/example/temperature") == ["all of demo/example", "everything", "temperatures"])
        #expect(hits("@admin/router") == ["admin space"])
        #expect(hits("demo/**") == [
            "all of demo/example", "any a under demo", "everything", "exactly demo/example/a", "temperatures",
        ])
        #expect(hits("nothing/here") == ["everything"])
        #expect(subs.count == 7)
    }

    @Test("removing by id: the entry stops matching, the id is never reused")
    func remove() {
        var tree = KeyExprTree<Int>()
        let a = tree.insert(k("a/**"), 1)
        let b = tree.insert(k("a/b"), 2)
        let c = tree.insert(k("a/b"), 3) // same key twice
        #expect(tree.intersecting(k("a/b")).sorted() == [1, 2, 3])
        #expect(tree.remove(b) == 2)
        #expect(tree.remove(b) == nil)
        #expect(tree[b] == nil)
        #expect(tree.intersecting(k("a/b")).sorted() == [1, 3])
        let d = tree.insert(k("x"), 4)
        #expect(d != b)
        #expect(tree[d] == 4)
        #expect(tree.key(of: d) == k("x"))
        #expect(tree.remove(a) == 1)
        #expect(tree.remove(c) == 3)
        #expect(tree.remove(d) == 4)
        #expect(tree.isEmpty)
        #expect(tree.intersecting(k("**")).isEmpty)
    }

    @Test("a lookup visits the branches that can match, not the whole tree")
    func lookupIsPruned() {
        var tree = KeyExprTree<Int>()
        for i in 0..<2000 {
            tree.insert(k("site/\(i % 50)/sensor\(i)/temp"), i)
        }
        tree.insert(k("site/*/sensor7/**"), -1)
        tree.insert(k("site/**/humidity"), -2)
        let key = k("site/7/sensor7/temp")
        #expect(tree.intersecting(key).sorted() == [-1, 7])
        // root, site, then 7 / * / ** and their few descendants.
        #expect(tree.nodesVisited(lookingUp: key) < 12)
        // A wild lookup chunk has to look at every child at that level, but no deeper than needed.
        #expect(tree.intersecting(k("site/*/sensor9/temp")) == [9])
        // (the tree has over 4,000 nodes; this visits the 50 site children and little else)
        #expect(tree.nodesVisited(lookingUp: k("site/*/sensor9/temp")) < 70)
    }

    @Test("forEachIntersecting reports each entry once, even when several paths lead to it")
    func reportsOnce() {
        var tree = KeyExprTree<Int>()
        tree.insert(k("a/**"), 1)
        tree.insert(k("**/a/**"), 2)
        tree.insert(k("a/a/a"), 3)
        var seen: [Int] = []
        tree.forEachIntersecting(k("**/a/**/a/**")) { seen.append($0) }
        #expect(seen.sorted() == [1, 2, 3])
    }

    @Test("keys longer than 63 chunks still find their matches")
    func longKeys() throws {
        var tree = KeyExprTree<Int>()
        let long = (0..<70).map { "c\($0)" }.joined(separator: "/")
        tree.insert(k("c0/**"), 1)
        tree.insert(try KeyExpr(long), 2)
        tree.insert(k("d/**"), 3)
        #expect(tree.intersecting(try KeyExpr(long)).sorted() == [1, 2])
        #expect(tree.intersecting(k("c0/c1/*")).sorted() == [1])
    }

    @Test("agrees with checking every entry, over thousands of random sets")
    func matchesBruteForce() {
        let seed = KeyExprRandom.testSeed
        var rng = KeyExprRandom(seed: seed)
        var lookups = 0
        var found = 0
        for round in 0..<3000 {
            var tree = KeyExprTree<Int>()
            var entries: [(id: KeyExprTree<Int>.EntryID, key: KeyExpr, value: Int)] = []
            var nextValue = 0
            func add(_ n: Int) {
                for _ in 0..<n {
                    let key = rng.keyExpr()
                    entries.append((tree.insert(key, nextValue), key, nextValue))
                    nextValue += 1
                }
            }
            add(rng.chance(20) ? rng.int(100...400) : rng.int(1...30))
            for step in 0..<8 {
                if step == 4 {
                    // Remove some and check again.
                    for _ in 0..<rng.int(0...entries.count) where !entries.isEmpty {
                        let gone = entries.remove(at: rng.int(0...entries.count - 1))
                        #expect(tree.remove(gone.id) == gone.value)
                    }
                    // ... and add some (reusing the freed trie nodes).
                    add(rng.int(0...10))
                    #expect(tree.count == entries.count)
                }
                // Look up keys like the entries (often related), sometimes plain keys.
                let query = rng.chance(3) && !entries.isEmpty ? rng.pick(entries).key : rng.keyExpr()
                let expected = entries.filter { $0.key.intersects(query) }.map(\.value).sorted()
                var got: [Int] = []
                tree.forEachIntersecting(query) { got.append($0) }
                got.sort()
                lookups += 1
                found += got.count
                if got != expected {
                    Issue.record("""
                        round \(round) (seed \(seed)): looking up '\(query)' in \(entries.map { "'\($0.key)'=\($0.value)" })
                        tree: \(got) brute force: \(expected)
                        """)
                    return
                }
            }
        }
        #expect(found > lookups) // the lookups mostly find something
    }
}
