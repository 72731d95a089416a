import PetrelAgent
import Testing

/// A storage's `align` section (#14): off by default, `true` or an object, and
/// errors that name the field.
@Suite("storage align config")
struct AlignConfigTests {
    @Test("align: absent, true, false and an object")
    func forms() throws {
        let c = try AgentConfig.parse("""
            { storages: [ { key: "a/**" }, { key: "b/**", align: true }, { key: "c/**", align: false } ] }
            """, source: "align.json5")
        #expect(c.storages[0].align == nil && c.storages[2].align == nil)
        #expect(c.storages[1].align == AlignConfig())
        #expect(c.storages[1].align?.interval == .seconds(1) && c.storages[1].align?.maxClockDrift == .milliseconds(500))
        let d = try AgentConfig.parse("""
            { storages: [ { key: "d/**", align: { interval: "250ms", max_clock_drift: "1s" } } ] }
            """, source: "align.json5")
        #expect(d.storages[0].align?.interval == .milliseconds(250) && d.storages[0].align?.maxClockDrift == .seconds(1))
    }

    @Test("bad align values are errors naming the field")
    func errors() {
        func error(_ storage: String) -> String? {
            let e = #expect(throws: ConfigError.self) { try AgentConfig.parse("{ storages: [ \(storage) ] }", source: "x.json5") }
            return e?.description
        }
        #expect(error(#"{ key: "a/**", align: { interval: "5ms" } }"#)?.contains("'storages[0].align.interval': must be from 10ms to 1h") == true)
        #expect(error(#"{ key: "a/**", align: { max_clock_drift: "2h" } }"#)?.contains("'storages[0].align.max_clock_drift'") == true)
        #expect(error(#"{ key: "a/**", align: { intervall: "1s" } }"#)?.contains("'storages[0].align.intervall': unknown key; did you mean 'interval'?") == true)
        #expect(error(#"{ key: "a/**", align: 3 }"#)?.contains("'storages[0].align'") == true)
        #expect(error(#"{ key: "a/**", mode: "time-series", align: true }"#)?.contains("'storages[0].align': only applies to mode \"key-value\"") == true)
        #expect(error(#"{ key: "a/**", align: true }, { key: "b/**", align: false }, { key: "c/**", align: {} }"#)?
            .contains("'storages[2].align': only one storage per agent can be aligned (storages[0] already is)") == true)
    }
}
