// libFuzzer's entry point (scripts/fuzz-transport links this module with
// -sanitize=fuzzer, whose runtime has the `main`). In any other build it is an
// unused exported function.
@_cdecl("LLVMFuzzerTestOneInput")
public func transportFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    TransportFuzz.run(bytes)
    return 0
}
