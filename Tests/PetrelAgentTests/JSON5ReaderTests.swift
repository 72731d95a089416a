import Testing
@testable import PetrelAgent

/// Reads `text` and renders the value compactly, to compare with an expectation.
private func render(_ text: String) throws -> String {
    var r = JSON5Reader(ConfigSource(text))
    return render(try r.readDocument())
}

private func render(_ v: ConfigValue) -> String {
    switch v.kind {
    case .null: return "null"
    case .bool(let b): return "\(b)"
    case .integer(let i): return "i\(i)"
    case .number(let d): return "d\(d)"
    case .string(let s): return "s<\(s)>"
    case .array(let a): return "[" + a.map(render).joined(separator: ",") + "]"
    case .object(let m): return "{" + m.map { "\($0.key):\(render($0.value))" }.joined(separator: ",") + "}"
    }
}

private func syntaxError(_ text: String) -> JSON5Reader.SyntaxError? {
    var r = JSON5Reader(ConfigSource(text))
    do {
        _ = try r.readDocument()
        return nil
    } catch {
        return error
    }
}

@Suite("JSON5 reader")
struct JSON5ReaderTests {
    @Test("the JSON5 spec's example document")
    func specExample() throws {
        let text = """
        // This file is written in JSON5 syntax, naturally, but npm needs a regular
        // JSON file, so compile via `npm run build`. Be sure to keep both in sync!
        {
          // comments
          unquoted: 'and you can quote me on that',
          singleQuotes: 'I can use "double quotes" here',
          lineBreaks: "Look, Mom! \\
        No \\\\n's!",
          hexadecimal: 0xdecaf,
          leadingDecimalPoint: .8675309, andTrailing: 8675309.,
          positiveSign: +1,
          trailingComma: 'in objects', andIn: ['arrays',],
          "backwardsCompatible": "with JSON",
        }
        """
        #expect(try render(text) == #"{unquoted:s<and you can quote me on that>,singleQuotes:s<I can use "double quotes" here>,lineBreaks:s<Look, Mom! No \n's!>,hexadecimal:i912559,leadingDecimalPoint:d0.8675309,andTrailing:d8675309.0,positiveSign:i1,trailingComma:s<in objects>,andIn:[s<arrays>],backwardsCompatible:s<with JSON>}"#)
    }

    @Test("numbers: integers, fractions, exponents, hex, signs, Infinity, NaN")
    func numbers() throws {
        #expect(try render("[0, -0, 7, -12, 1.5, 1e3, 2E-2, -0x1F, +0XaB, 9223372036854775807, 9223372036854775808]")
                == "[i0,i0,i7,i-12,d1.5,d1000.0,d0.02,i-31,i171,i9223372036854775807,d9.223372036854776e+18]")
        #expect(try render("[Infinity, -Infinity, +Infinity]") == "[dinf,d-inf,dinf]")
        #expect(try render("[NaN]") == "[dnan]")
        #expect(syntaxError("[01]")?.message.contains("leading zeros") == true)
        #expect(syntaxError("[1e]")?.message.contains("exponent needs digits") == true)
        #expect(syntaxError("[0x]")?.message.contains("needs hex digits") == true)
        #expect(syntaxError("[-]") != nil)
        #expect(syntaxError("[0x1FFFFFFFFFFFFFFFF]")?.message.contains("too large") == true)
        #expect(syntaxError("[32MB]")?.message.contains("e.g. \"32MB\"") == true)
    }

    @Test("strings: both quotes and every escape")
    func strings() throws {
        #expect(try render(#"['a"b', "a'b", '\'', "\"", '\\', '\/']"#) == #"[s<a"b>,s<a'b>,s<'>,s<">,s<\>,s</>]"#)
        #expect(try render(#"["\b\f\n\r\t\v\0"]"#) == "[s<\u{8}\u{C}\n\r\t\u{B}\0>]")
        #expect(try render(#"["\x41\u00e9\uD83D\uDE00", "\q"]"#) == "[s<Aé😀>,s<q>]")
        #expect(try render("['caf\u{E9} \u{1F426}']") == "[s<café 🐦>]")
        #expect(try render("['a\\\r\nb', 'c\\\u{2028}d']") == "[s<ab>,s<cd>]")
        #expect(syntaxError(#"["\01"]"#)?.message.contains("octal") == true)
        #expect(syntaxError(#"["\uD800"]"#)?.message.contains("lone UTF-16 surrogate") == true)
        #expect(syntaxError(#"["\uDC00"]"#)?.message.contains("lone UTF-16 surrogate") == true)
        #expect(syntaxError(#"["\x4"]"#)?.message.contains("2 hex digits") == true)
        #expect(syntaxError("['abc")?.message.contains("unterminated string") == true)
    }

    @Test("keys: identifiers (with $, _, digits, Unicode letters, \\u escapes) and quoted")
    func keys() throws {
        #expect(try render(#"{ $a_1: 1, _b: 2, ünï: 3, \u0061b: 4, 'q-k': 5, "": 6 }"#) == "{$a_1:i1,_b:i2,ünï:i3,ab:i4,q-k:i5,:i6}")
        #expect(syntaxError("{ 1a: 1 }")?.message.contains("expected a key") == true)
        #expect(syntaxError("{ a-b: 1 }")?.message.contains("expected ':'") == true)
        #expect(syntaxError("{ a: 1, a: 2 }")?.message.contains("duplicate key") == true)
    }

    @Test("white space and comments, including Unicode spaces and a BOM")
    func whiteSpace() throws {
        #expect(try render("\u{FEFF}/* a */{\u{A0}a\u{2003}:/*b*/1//c\n,\u{2028}b:[\t]\u{2029}}// end") == "{a:i1,b:[]}")
        #expect(syntaxError("{ /* never closed }")?.message.contains("unterminated /* comment") == true)
    }

    @Test("structure errors point at the right place")
    func structure() throws {
        let e = try #require(syntaxError("{\n  a: [1, 2\n  b: 3 }"))
        #expect(e.path == "a[1]")
        #expect(e.message.contains("expected ',' or ']'"))
        #expect(ConfigSource("{\n  a: [1, 2\n  b: 3 }").location(of: e.offset) == (3, 3))
        #expect(syntaxError("{} {}")?.message.contains("after the end") == true)
        #expect(syntaxError("{ a: }")?.message.contains("expected a value") == true)
        #expect(syntaxError(String(repeating: "[", count: 100))?.message.contains("nesting deeper") == true)
        #expect(syntaxError("{ a: tru }")?.message.contains("strings must be quoted") == true)
    }

    @Test("columns count characters, not bytes")
    func columns() {
        let source = ConfigSource("{ é: 'ü', x: 1 }")
        let xOffset = Array("{ é: 'ü', ".utf8).count
        #expect(source.location(of: xOffset) == (1, 11))
    }

    @Test("random bytes never trap the reader")
    func garbage() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]:,'\"\\/*\n 0123456789.eE+-xXabtrunlfINa$_é\u{2028}\u{FEFF}")
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<40, using: &g)
            let text = String((0..<n).map { _ in alphabet.randomElement(using: &g)! })
            var r = JSON5Reader(ConfigSource(text))
            _ = try? r.readDocument()
            _ = AgentConfig.validate(text, source: "fuzz")
        }
    }
}
