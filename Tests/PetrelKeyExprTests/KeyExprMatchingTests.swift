import PetrelKeyExpr
import Testing

private func k(_ s: String) -> KeyExpr {
    do { return try KeyExpr(s) } catch { fatalError("\(error)") }
}

@Suite("Key expressions: who matches whom")
struct KeyExprMatchingTests {
    @Test("a subscriber on demo/example/** gets everything under demo/example, and demo/example itself")
    func doubleWildSubscriber() {
        let sub = k("demo/example/**")
        #expect(sub.intersects(k("demo/example/a")))
        #expect(sub.intersects(k("demo/example/a/b/c")))
        #expect(sub.intersects(k("demo/example")))
        #expect(!sub.intersects(k("demo/other/a")))
        #expect(!sub.intersects(k("demo")))
        #expect(sub.includes(k("demo/example/a/*")))
        #expect(sub.includes(k("demo/example")))
        #expect(!k("demo/example/a").includes(sub))
    }

    @Test("* stands for exactly one chunk")
    func singleWild() {
        let sub = k("sensor/*/temp")
        #expect(sub.intersects(k("sensor/pi1/temp")))
        #expect(!sub.intersects(k("sensor/temp")))
        #expect(!sub.intersects(k("sensor/pi1/rack2/temp")))
        #expect(k("*").intersects(k("a")))
        #expect(!k("*").intersects(k("a/b")))
        #expect(k("sensor/*").includes(k("sensor/pi1")))
        #expect(!k("sensor/*").includes(k("sensor/**")))
        #expect(k("sensor/**").includes(k("sensor/*")))
    }

    @Test("** stands for zero or more chunks, wherever it is")
    func doubleWildRuns() {
        #expect(k("**").intersects(k("a/b/c")))
        #expect(k("a/**/z").intersects(k("a/z")))
        #expect(k("a/**/z").intersects(k("a/b/c/z")))
        #expect(!k("a/**/z").intersects(k("a/b/c/y")))
        #expect(k("a/**/c/**").intersects(k("**/b/c/d")))
        #expect(!k("a/**/c").intersects(k("**/d")))
        #expect(k("*/**").intersects(k("**")))
        #expect(!k("*/**").includes(k("**")))
        #expect(k("**").includes(k("*/**")))
    }

    @Test("$* matches any text inside one chunk")
    func subChunkWild() {
        #expect(k("sensor/temp$*").intersects(k("sensor/temperature")))
        #expect(k("sensor/temp$*").intersects(k("sensor/temp")))
        #expect(!k("sensor/temp$*").intersects(k("sensor/humidity")))
        #expect(!k("sensor/temp$*").intersects(k("sensor/temp/x")))
        #expect(k("log/$*.txt").intersects(k("log/boot.txt")))
        #expect(k("a$*").intersects(k("$*b")))        // "ab"
        #expect(!k("a$*b").intersects(k("b$*a")))
        #expect(k("$*ab$*").includes(k("x$*aby")))
        #expect(k("$*a$*b$*").includes(k("$*ab$*")))
        #expect(!k("$*ab$*").includes(k("$*a$*b$*")))
        #expect(k("a$*").includes(k("ab$*")))
        #expect(!k("a$*").includes(k("*")))
        #expect(k("*").includes(k("a$*")))
    }

    @Test("verbatim @ chunks are only matched by themselves, never by wildcards")
    func verbatim() {
        #expect(!k("**").intersects(k("@admin")))
        #expect(!k("**").intersects(k("demo/@admin/x")))
        #expect(!k("*/x").intersects(k("@a/x")))
        #expect(!k("@a$*").intersects(k("@ab")))
        #expect(k("@a$*").intersects(k("@a$*")))
        #expect(k("@admin/**").intersects(k("@admin/router/a")))
        #expect(k("@admin/**").intersects(k("@admin")))
        #expect(k("@a/*").intersects(k("@a/b")))
        #expect(!k("**/@b").intersects(k("a/@c")))
        #expect(k("**/@b").intersects(k("a/x/@b")))
        #expect(!k("**").includes(k("@a")))
        #expect(k("@a/**").includes(k("@a/b/c")))
        #expect(!k("@a/**").includes(k("@a/@b")))
    }

    @Test("plain keys intersect only when equal; every key includes itself")
    func plainKeys() {
        #expect(k("a/b").intersects(k("a/b")))
        #expect(!k("a/b").intersects(k("a/c")))
        #expect(!k("a/b").intersects(k("a/b/c")))
        for s in ["a/b", "a/**", "@x/*", "a$*b/**"] {
            #expect(k(s).includes(k(s)))
            #expect(k(s).intersects(k(s)))
        }
    }

    @Test("adversarial patterns answer quickly (bounded backtracking)")
    func adversarial() {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            let runs = (0..<40).map { _ in "a" }.joined(separator: "/")
            let left = k((0..<12).map { _ in "**/a" }.joined(separator: "/") + "/**/b")
            #expect(!left.intersects(k(runs + "/c")))
            #expect(left.intersects(k(runs + "/b")))
            #expect(!left.includes(k(runs + "/c")))
            #expect(left.includes(k(runs + "/b")))
            let dsl = k(String(repeating: "$*a", count: 12) + "$*b")
            #expect(!dsl.intersects(k(String(repeating: "a", count: 60) + "c")))
            #expect(dsl.intersects(k(String(repeating: "a", count: 60) + "b")))
            #expect(!dsl.intersects(k(String(repeating: "$*a", count: 12) + "c")))
        }
        #expect(elapsed < .seconds(2))
    }
}
