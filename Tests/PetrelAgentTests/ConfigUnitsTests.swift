import Testing
import PetrelAgent

@Suite("Durations and sizes")
struct ConfigUnitsTests {
    @Test("durations: ms, s, m, h, d, decimals, optional space")
    func durations() {
        #expect(ConfigUnits.duration("250ms") == .milliseconds(250))
        #expect(ConfigUnits.duration("30s") == .seconds(30))
        #expect(ConfigUnits.duration("10m") == .seconds(600))
        #expect(ConfigUnits.duration("1.5h") == .seconds(5400))
        #expect(ConfigUnits.duration("7d") == .seconds(604_800))
        #expect(ConfigUnits.duration("2 h") == .seconds(7200))
        #expect(ConfigUnits.duration("0s") == .zero)
        for bad in ["", "10", "10 minutes", "-5s", "1h30m", "s", "1.2.3s", "10M", ".s", "1e3s", "99999999999d"] {
            #expect(ConfigUnits.duration(bad) == nil, "\(bad)")
        }
    }

    @Test("sizes: 1000-based and 1024-based units, case-insensitive, bare bytes")
    func sizes() {
        #expect(ConfigUnits.size("512") == 512)
        #expect(ConfigUnits.size("512B") == 512)
        #expect(ConfigUnits.size("32MB") == 32_000_000)
        #expect(ConfigUnits.size("32mb") == 32_000_000)
        #expect(ConfigUnits.size("1.5KB") == 1500)
        #expect(ConfigUnits.size("256 MB") == 256_000_000)
        #expect(ConfigUnits.size("1GB") == 1_000_000_000)
        #expect(ConfigUnits.size("4KiB") == 4096)
        #expect(ConfigUnits.size("64MiB") == 64 << 20)
        #expect(ConfigUnits.size("1GiB") == 1 << 30)
        for bad in ["", "MB", "32 megs", "-1MB", "1PB", "32M", "1e9"] {
            #expect(ConfigUnits.size(bad) == nil, "\(bad)")
        }
    }

    @Test("formatting picks the largest exact unit")
    func formatting() {
        #expect(ConfigUnits.formatSize(256_000_000) == "256MB")
        #expect(ConfigUnits.formatSize(8 << 20) == "8MiB")
        #expect(ConfigUnits.formatSize(65536) == "64KiB")
        #expect(ConfigUnits.formatSize(1001) == "1001B")
        #expect(ConfigUnits.formatDuration(.seconds(600)) == "10m")
        #expect(ConfigUnits.formatDuration(.seconds(7 * 86400)) == "7d")
        #expect(ConfigUnits.formatDuration(.milliseconds(1500)) == "1500ms")
    }
}
