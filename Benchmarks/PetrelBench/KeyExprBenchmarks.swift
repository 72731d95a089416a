import PetrelKeyExpr

private func key(_ s: String) -> KeyExpr {
    do throws(KeyExprError) {
        return try KeyExpr(s)
    } catch {
        fatalError("key expression \(s): \(error)")
    }
}

/// Times `test(a, b)`. The pair sits twice in an opaque array and the loop
/// alternates between the copies, so the call cannot be hoisted out of it.
private func measurePair(_ runner: inout BenchRunner, _ name: String, _ a: KeyExpr, _ b: KeyExpr,
                         _ test: (KeyExpr, KeyExpr) -> Bool) {
    let keys = opaque([a, b, a, b])
    runner.measure(name) { n in
        for i in 0..<n {
            let k = (i & 1) << 1
            blackHole(test(keys[k], keys[k + 1]))
        }
    }
}

func keyExprBenchmarks(_ runner: inout BenchRunner) {
    let intersecting: [(String, String, Bool)] = [
        ("demo/example/**", "demo/example/a", true),
        ("a/*/c", "a/b/c", true),
        ("sensors/**/temp", "sensors/pi1/room2/temp", true),
        ("sensors/*/temp", "sensors/pi1/humidity", false),
        ("demo/example/a", "demo/example/a", true),
        ("demo/example/a", "demo/example/b", false),
    ]
    for (left, right, expected) in intersecting {
        let a = key(left), b = key(right)
        precondition(a.intersects(b) == expected, "\(left) ∩ \(right) should be \(expected)")
        measurePair(&runner, "intersects \(left) ~ \(right)", a, b) { $0.intersects($1) }
    }

    let a = key("demo/**"), b = key("demo/example/*")
    precondition(a.includes(b))
    measurePair(&runner, "includes demo/** ⊇ demo/example/*", a, b) { $0.includes($1) }
}
