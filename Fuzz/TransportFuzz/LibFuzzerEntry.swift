#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's entry points (scripts/fuzz-transport links this module with
// -sanitize=fuzzer, whose runtime has the `main`). In any other build they
// are unused exported functions.

@_cdecl("LLVMFuzzerTestOneInput")
public func transportFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    TransportFuzz.run(bytes)
    return 0
}

/// With `PETREL_TRANSPORT_FUZZ_WRITE_SEEDS=DIR`, writes the seed inputs
/// (valid traffic after the handshake) into DIR and exits: scripts/fuzz-transport
/// seeds its corpus so.
@_cdecl("LLVMFuzzerInitialize")
public func transportFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    guard let dir = getenv("PETREL_TRANSPORT_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    for (i, seed) in TransportFuzz.seeds().enumerated() {
        guard let f = fopen("\(dir)/seed-\(i)", "wb") else { continue }
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
    exit(0)
}
