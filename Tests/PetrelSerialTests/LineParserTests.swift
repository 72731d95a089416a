import PetrelKeyExpr
import PetrelSerial
import PetrelTestSupport
import Testing

private func r(_ name: String?, _ value: String) -> SerialReading { SerialReading(name: name, value: value) }

@Suite("lines: each line is one payload at the prefix")
struct LinesFormatTests {
    @Test("the whole line, spaces and all, is the payload")
    func wholeLine() {
        var p = LineParser(format: .lines)
        #expect(p.parse("GPS fix 3D, 9 sats = ok").readings == [r(nil, "GPS fix 3D, 9 sats = ok")])
    }

    @Test("blank lines yield nothing")
    func blank() {
        var p = LineParser(format: .lines)
        #expect(p.parse("") == ParsedLine())
        #expect(p.parse("  \t ") == ParsedLine())
    }

    @Test("bytes that are not UTF-8, or hold NUL, are invalidUTF8 and yield nothing")
    func notText() {
        var p = LineParser(format: .lines)
        #expect(p.parse(bytes: [0x74, 0xFF, 0x65]) == ParsedLine(invalidUTF8: true))
        #expect(p.parse(bytes: [0xC3]) == ParsedLine(invalidUTF8: true))
        #expect(p.parse(bytes: [0x61, 0x00, 0x62]) == ParsedLine(invalidUTF8: true))
        #expect(p.parse(bytes: Array("température 21,5 °C".utf8)).readings == [r(nil, "température 21,5 °C")])
    }
}

@Suite("key-value: name=value pairs, each on prefix/name")
struct KeyValueFormatTests {
    @Test("pairs separated by spaces, tabs, commas or semicolons (any run of them)")
    func separators() {
        var p = LineParser(format: .keyValue)
        let expected = [r("temp", "21.5"), r("hum", "40"), r("p", "1013")]
        for line in ["temp=21.5 hum=40 p=1013", "temp=21.5,hum=40,p=1013", "temp=21.5;hum=40;p=1013",
                     "temp=21.5\thum=40\tp=1013", " temp=21.5 ,  hum=40 ;; p=1013 ", "temp=21.5, hum=40; p=1013"] {
            #expect(p.parse(line) == ParsedLine(readings: expected), "\(line)")
        }
    }

    @Test("the value is everything after the first '=' (it may contain '=', ':' or UTF-8)")
    func values() {
        var p = LineParser(format: .keyValue)
        #expect(p.parse("expr=a=b unit=°C t=12:30:00").readings == [r("expr", "a=b"), r("unit", "°C"), r("t", "12:30:00")])
    }

    @Test("an empty value is a missing reading: not published, not an error")
    func emptyValue() {
        var p = LineParser(format: .keyValue)
        #expect(p.parse("temp= hum=40") == ParsedLine(readings: [r("hum", "40")]))
    }

    @Test("tokens without '=' make the line malformed; the good pairs beside them still count")
    func malformed() {
        var p = LineParser(format: .keyValue)
        let banner = p.parse("Sensor ready")
        #expect(banner.readings.isEmpty)
        #expect(banner.malformed?.contains("'Sensor'") == true)
        #expect(banner.malformed?.contains("1 more") == true)
        let mixed = p.parse("temp=21 oops =5")
        #expect(mixed.readings == [r("temp", "21")])
        #expect(mixed.malformed != nil)
    }

    @Test("names that are not one plain key chunk are skipped and reported, never published")
    func invalidNames() {
        var p = LineParser(format: .keyValue)
        let parsed = p.parse("a/b=1 *=2 x$*=3 #=4 q?=5 @admin=6 ok=7")
        #expect(parsed.readings == [r("ok", "7")])
        #expect(parsed.invalidNames == ["a/b", "*", "x$*", "#", "q?", "@admin"])
        #expect(parsed.malformed == nil)
        let control = p.parse(bytes: [0x01, UInt8(ascii: "="), UInt8(ascii: "1")])
        #expect(control.readings.isEmpty)
        #expect(control.invalidNames == ["\u{01}"])
    }
}

@Suite("json: one object per line, each member on prefix/member as JSON text")
struct JSONFormatTests {
    @Test("each top-level member's value is published as the device wrote it")
    func members() {
        var p = LineParser(format: .json)
        let parsed = p.parse(#"{"temp": 21.5, "name":"s1", "ok":true, "none":null, "pos":{"x":1, "y":[1,2]}, "n":-0.5e+3}"#)
        #expect(parsed == ParsedLine(readings: [
            r("temp", "21.5"), r("name", #""s1""#), r("ok", "true"), r("none", "null"),
            r("pos", #"{"x":1, "y":[1,2]}"#), r("n", "-0.5e+3"),
        ]))
    }

    @Test("member names are decoded (escapes, \\u sequences, surrogate pairs)")
    func escapedNames() {
        var p = LineParser(format: .json)
        #expect(p.parse(#"{"t\u0065mp":1,"caf\u00e9":2,"\ud83d\ude00":3}"#).readings == [r("temp", "1"), r("café", "2"), r("😀", "3")])
    }

    @Test("an empty object yields nothing and is fine")
    func empty() {
        var p = LineParser(format: .json)
        #expect(p.parse("{}") == ParsedLine())
        #expect(p.parse(" { } ") == ParsedLine())
    }

    @Test("anything that is not one whole, valid object is malformed and yields nothing")
    func malformed() {
        var p = LineParser(format: .json)
        for line in [
            "42", "[1,2]", #""text""#, "{", #"{"a":1"#, #"{"a":1,}"#, #"{"a":}"#, #"{"a" 1}"#, #"{a:1}"#,
            #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":tru}"#, #"{"a":"x}"#,
            #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":1} trailing"#, #"{"a":1}{"b":2}"#, "{\"a\":\"tab\there\"}",
            #"{"a":[1,]}"#, #"{"a":{"b":}}"#, "{'a':1}", "temp=21",
        ] {
            let parsed = p.parse(line)
            #expect(parsed.readings.isEmpty, "\(line)")
            #expect(parsed.malformed != nil, "\(line)")
        }
    }

    @Test("nesting deeper than 64 is refused without recursing further")
    func deepNesting() {
        var p = LineParser(format: .json)
        let deep = #"{"a":"# + String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000) + "}"
        #expect(p.parse(deep).malformed?.contains("nested") == true)
        let ok = #"{"a":"# + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + "}"
        #expect(p.parse(ok).readings.count == 1)
    }

    @Test("invalid member names are skipped and reported; the rest is published")
    func invalidNames() {
        var p = LineParser(format: .json)
        let parsed = p.parse(#"{"a/b":1,"":2,"ok":3,"x*":4,"@v":5,"\u0007":6}"#)
        #expect(parsed.readings == [r("ok", "3")])
        #expect(parsed.invalidNames == ["a/b", "", "x*", "@v", "\u{07}"])
    }
}

@Suite("csv: named columns, each field on prefix/column")
struct CSVFormatTests {
    @Test("configured columns: every line is data")
    func configured() {
        var p = LineParser(format: .csv, columns: ["temp", "hum"])
        #expect(p.parse("21.5,40").readings == [r("temp", "21.5"), r("hum", "40")])
        #expect(p.parse("21.6, 41").readings == [r("temp", "21.6"), r("hum", "41")])
    }

    @Test("no columns configured: the first line is the header; a repeated header is skipped")
    func header() {
        var p = LineParser(format: .csv)
        #expect(p.parse("temp,hum,p") == ParsedLine(isHeader: true))
        #expect(p.csvColumns == ["temp", "hum", "p"])
        #expect(p.parse("21.5,40,1013").readings == [r("temp", "21.5"), r("hum", "40"), r("p", "1013")])
        #expect(p.parse("temp,hum,p") == ParsedLine(isHeader: true))
        #expect(p.parse("21.6,41,1012").readings.count == 3)
    }

    @Test("a field count that does not match the columns is malformed: nothing lands on a wrong key")
    func mismatch() {
        var p = LineParser(format: .csv, columns: ["a", "b", "c"])
        let short = p.parse("1,2")
        #expect(short.readings.isEmpty)
        #expect(short.malformed?.contains("2 fields, expected 3") == true)
        #expect(p.parse("1,2,3,4").readings.isEmpty)
    }

    @Test("empty fields are missing readings; quoted fields may hold the separator and quotes")
    func quotesAndEmpty() {
        var p = LineParser(format: .csv, columns: ["a", "b", "c"])
        #expect(p.parse("1,,\"x, \"\"y\"\"\"").readings == [r("a", "1"), r("c", #"x, "y""#)])
        #expect(p.parse(#"1,"unclosed,3"#).malformed == "unbalanced quotes")
        #expect(p.parse(#"1,"q"x,3"#).malformed == "unbalanced quotes")
    }

    @Test("other separators: ';' and tab")
    func separators() {
        var semi = LineParser(format: .csv, columns: ["a", "b"], separator: ";")
        #expect(semi.parse("1,5;2").readings == [r("a", "1,5"), r("b", "2")])
        var tab = LineParser(format: .csv, columns: ["a", "b"], separator: "\t")
        #expect(tab.parse("x y\t2").readings == [r("a", "x y"), r("b", "2")])
    }

    @Test("header names that are not key chunks are reported, and their fields skipped")
    func invalidHeader() {
        var p = LineParser(format: .csv)
        #expect(p.parse("temp,a/b").invalidNames == ["a/b"])
        let parsed = p.parse("1,2")
        #expect(parsed.readings == [r("temp", "1")])
        #expect(parsed.invalidNames == ["a/b"])
    }
}

@Suite("garbage in: never a crash, never an invalid key")
struct GarbageTests {
    @Test("random bytes through framer and parser, every format: all names are valid key chunks under the prefix")
    func randomBytes() throws {
        var rng = SplitMix64(seed: SplitMix64.testSeed(default: 0x6A4BA6E))
        let prefix = try KeyExpr("farm/pi1/air")
        let alphabet: [UInt8] = Array(#"ab=1 ,;:{}[]"\/*$#?@.-e"#.utf8) + [0x0A, 0x0D, 0x00, 0x01, 0xC3, 0xA9, 0xFF, 0x80]
        for format in SerialFormat.allCases {
            var framer = LineFramer(maxLineLength: 64)
            var parser = LineParser(format: format)
            for _ in 0..<20_000 {
                let chunk = (0..<rng.int(1...32)).map { _ in
                    rng.int(0...3) == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet[rng.int(0...alphabet.count - 1)]
                }
                for event in framer.feed(chunk) {
                    guard case .line(let bytes) = event else { continue }
                    for reading in parser.parse(bytes: bytes).readings {
                        if let name = reading.name {
                            #expect(FieldName.isValid(name))
                            let key = try KeyExpr(prefix.string + "/" + name)
                            #expect(!key.isWild)
                            #expect(key.chunkCount == 4)
                        }
                    }
                }
            }
        }
    }
}
