#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PetrelSystem

/// What the numbers were measured on, for the top of the report.
enum Machine {
    static var architecture: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &u.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// "model name" (x86) or "Model"/"Hardware" (ARM boards) from /proc/cpuinfo.
    static var cpuModel: String {
        guard let text = readFile("/proc/cpuinfo") else { return "unknown" }
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces
            let value = line[line.index(after: colon)...].trimmingSpaces
            if found[key] == nil, !value.isEmpty { found[key] = value }
        }
        for key in ["model name", "Model", "Hardware", "cpu model", "Processor"] {
            if let v = found[key] { return v }
        }
        if let part = found["CPU part"] { return "CPU part \(part)" }
        return "unknown"
    }

    static var onlineCores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    static func readFile(_ path: String) -> String? {
        guard let bytes = try? SystemFile(readingAt: path).readAll() else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
