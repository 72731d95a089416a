#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process environment as a dictionary (`environ`), the default of the
/// `environment:` parameters that tests replace.
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let assignment = String(cString: pointer)
            if let equals = assignment.firstIndex(of: "=") {
                let name = String(assignment[..<equals])
                // With a name set twice, getenv(3) sees the first one; so do we.
                if result[name] == nil {
                    result[name] = String(assignment[assignment.index(after: equals)...])
                }
            }
            entry += 1
        }
        return result
    }
}
