/// Bytes as decoded messages hold them: a slice that shares storage with the
/// batch it was read from, so decoding never copies a payload.
public typealias ZBytes = ArraySlice<UInt8>
