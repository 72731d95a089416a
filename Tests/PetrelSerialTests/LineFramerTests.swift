import PetrelSerial
import PetrelTestSupport
import Testing

@Suite("LineFramer: a serial byte stream cut into lines")
struct LineFramerTests {
    private func lines(_ events: [LineFramer.Event]) -> [String] {
        events.map { e in
            switch e {
            case .line(let b): String(decoding: b, as: UTF8.self)
            case .overlong: "<overlong>"
            }
        }
    }

    @Test("\\n, \\r\\n and \\r all end a line; \\r\\n counts once")
    func terminators() {
        var f = LineFramer()
        #expect(lines(f.feed(Array("a\nb\r\nc\rd\n".utf8))) == ["a", "b", "c", "d"])
        #expect(f.pendingByteCount == 0)
    }

    @Test("a \\r\\n split across two reads is one terminator")
    func crlfAcrossReads() {
        var f = LineFramer()
        #expect(lines(f.feed(Array("temp=1\r".utf8))) == ["temp=1"])
        #expect(lines(f.feed(Array("\nhum=2\r".utf8))) == ["hum=2"])
        #expect(lines(f.feed(Array("\n".utf8))) == [])
    }

    @Test("a line arriving in pieces is delivered once, whole")
    func pieces() {
        var f = LineFramer()
        #expect(lines(f.feed(Array("tem".utf8))) == [])
        #expect(f.pendingByteCount == 3)
        #expect(lines(f.feed(Array("p=2".utf8))) == [])
        #expect(lines(f.feed(Array("1\nx".utf8))) == ["temp=21"])
        #expect(f.pendingByteCount == 1)
    }

    @Test("empty lines come out empty (the parser skips them)")
    func emptyLines() {
        var f = LineFramer()
        #expect(lines(f.feed(Array("\n\na\n".utf8))) == ["", "", "a"])
    }

    @Test("a line of exactly the limit passes; one byte more is dropped, reported once, and the next line is fine")
    func overlong() {
        var f = LineFramer(maxLineLength: 8)
        #expect(lines(f.feed(Array("12345678\n".utf8))) == ["12345678"])
        #expect(lines(f.feed(Array("123456789".utf8))) == ["<overlong>"])
        // More of the same line: no second report, nothing delivered.
        #expect(lines(f.feed(Array(repeating: UInt8(ascii: "x"), count: 10_000))) == [])
        #expect(f.pendingByteCount == 0)
        #expect(lines(f.feed(Array("zz\nok\n".utf8))) == ["ok"])
    }

    @Test("reset forgets a partial line (the port was lost mid-line)")
    func reset() {
        var f = LineFramer()
        _ = f.feed(Array("half a li".utf8))
        f.reset()
        #expect(lines(f.feed(Array("ne\nnext\n".utf8))) == ["ne", "next"])
    }

    @Test("random streams cut at random places give the same lines as in one piece")
    func randomChunking() {
        var rng = SplitMix64(seed: SplitMix64.testSeed(default: 0x5E41A1))
        let alphabet = Array("ab=1 ,;\r\n".utf8) + [0xFF, 0x00, 0xC3]
        for _ in 0..<500 {
            let stream = (0..<rng.int(0...400)).map { _ in alphabet[rng.int(0...alphabet.count - 1)] }
            var whole = LineFramer(maxLineLength: 32)
            let expected = whole.feed(stream)
            var cut = LineFramer(maxLineLength: 32)
            var got: [LineFramer.Event] = []
            var i = 0
            while i < stream.count {
                let n = min(rng.int(1...17), stream.count - i)
                got += cut.feed(Array(stream[i..<(i + n)]))
                i += n
            }
            #expect(got == expected)
            #expect(whole.pendingByteCount == cut.pendingByteCount)
        }
    }
}
