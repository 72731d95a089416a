#if canImport(Glibc)
import Glibc
#endif
import PetrelSystem

/// A fresh directory under /tmp, removed with its files when the test ends.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/petrel-system-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: errno \(errno)")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        for name in (try? Directory.entries(path)) ?? [] { try? Directory.remove(path + "/" + name) }
        rmdir(path)
    }
}
