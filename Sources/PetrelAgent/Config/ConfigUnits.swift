/// Durations and sizes as people write them in a config file.
public enum ConfigUnits {
    /// Parses `"250ms"`, `"30s"`, `"10m"`, `"1.5h"`, `"7d"` (a number, optional
    /// space, one unit). Returns nil for anything else, including negative
    /// values, bare numbers and spelled-out units ("10 minutes").
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        guard let (number, unit) = split(text) else { return nil }
        guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
        let seconds = number * scale
        // Up to about 300 years, so the nanosecond count below cannot overflow.
        guard seconds.isFinite, seconds <= 9.0e9 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Parses `"512B"`, `"32MB"` (1000-based: KB, MB, GB, TB) or `"1GiB"`
    /// (1024-based: KiB, MiB, GiB, TiB); units are case-insensitive and a bare
    /// number string counts bytes. Returns nil for anything else or a value
    /// that does not fit an `Int`.
    public static func size(_ text: String) -> Int? {
        let units: [(String, Double)] = [
            ("", 1), ("b", 1),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
            ("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("tib", 1_099_511_627_776),
        ]
        guard let (number, unit) = split(text) else { return nil }
        guard let scale = units.first(where: { $0.0 == unit.lowercased() })?.1 else { return nil }
        let bytes = (number * scale).rounded()
        guard bytes.isFinite, bytes < 9.0e18 else { return nil }
        return Int(bytes)
    }

    /// `256_000_000` -> `"256MB"`, `8_388_608` -> `"8MiB"`, `1000` -> `"1KB"`; else bytes.
    public static func formatSize(_ bytes: Int) -> String {
        for (unit, scale) in [("GiB", 1 << 30), ("GB", 1_000_000_000), ("MiB", 1 << 20),
                              ("MB", 1_000_000), ("KiB", 1 << 10), ("KB", 1000)]
        where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(unit)"
        }
        return "\(bytes)B"
    }

    /// `.seconds(600)` -> `"10m"`; the largest unit that divides it exactly.
    public static func formatDuration(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        for (unit, scale) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where ms >= scale && ms % scale == 0 {
            return "\(ms / scale)\(unit)"
        }
        return "\(ms)ms"
    }

    /// Splits `"1.5 h"` into (1.5, "h"): digits with at most one `.`, optional
    /// spaces, then letters only.
    private static func split(_ text: String) -> (Double, String)? {
        let scalars = Array(text.unicodeScalars)
        var k = 0
        var sawDot = false
        var sawDigit = false
        while k < scalars.count {
            let c = scalars[k]
            if c >= "0" && c <= "9" { sawDigit = true } else if c == "." && !sawDot { sawDot = true } else { break }
            k += 1
        }
        guard sawDigit, let number = Double(String(String.UnicodeScalarView(scalars[0..<k]))) else { return nil }
        while k < scalars.count, scalars[k] == " " { k += 1 }
        let unit = String(String.UnicodeScalarView(scalars[k...]))
        guard unit.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") }) else { return nil }
        return (number, unit)
    }
}
