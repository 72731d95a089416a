import PetrelWire

/// The publisher's message: PUSH of a PUT with an 8-byte payload, the key
/// given by an id the sender declared (scope 1, no suffix).
@inline(__always)
func smallPut(_ payload: ZBytes) -> Push {
    Push(wireExpr: WireExpr(scope: 1, suffix: "", mapping: .sender), body: .put(Put(payload: payload)))
}

/// An SN that takes 4 bytes as a zint (2^21 ... 2^28 - 1).
let fourByteSN: UInt64 = 1 << 21

/// Zenoh's default batch size (the TCP length prefix is not counted).
let fullBatchSize = 65535

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    for b in bytes {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 0x0F)])
    }
    return s
}

/// Writes one frame of one small PUT (what a lone `put()` sends).
@inline(__always)
func encodeSinglePutFrame(into w: inout WireWriter, sn: UInt64, payload: ZBytes) throws(EncodeError) {
    try FrameHeader(reliability: .reliable, sn: sn).encode(into: &w)
    try smallPut(payload).encode(into: &w)
}

/// Fills `w` with a frame header and then small PUTs until the next does not
/// fit, as a batcher does; returns the number of PUTs.
@inline(__always)
func fillBatch(_ w: inout WireWriter, sn: UInt64, payload: ZBytes) -> Int {
    var count = 0
    do throws(EncodeError) {
        try FrameHeader(reliability: .reliable, sn: sn).encode(into: &w)
        while true {
            try w.withRollback { (w: inout WireWriter) throws(EncodeError) in
                try smallPut(payload).encode(into: &w)
            }
            count += 1
        }
    } catch {
        guard error == .doesNotFit else { fatalError("fill batch: \(error)") }
    }
    return count
}

/// Reads every item of `batch` as a subscriber would (looking into each PUT
/// for its payload); returns how many network messages it held.
@inline(__always)
func readAllItems(_ batch: ZBytes) -> Int {
    var reader = BatchReader(batch)
    var messages = 0
    var payloadBytes = 0
    do throws(DecodeError) {
        while let item = try reader.next() {
            guard case .network(let message) = item else { continue }
            messages += 1
            if case .push(let push) = message, case .put(let put) = push.body {
                payloadBytes &+= put.payload.count
            }
        }
    } catch {
        fatalError("decode: \(error)")
    }
    blackHole(payloadBytes)
    return messages
}

func codecBenchmarks(_ runner: inout BenchRunner) {
    let payload: ZBytes = opaque([UInt8](repeating: 0xA5, count: 8))[...]

    // One PUT in one frame.
    let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
    defer { small.deallocate() }
    var sample = WireWriter(small)
    do throws(EncodeError) { try encodeSinglePutFrame(into: &sample, sn: fourByteSN, payload: payload) } catch {
        fatalError("encode: \(error)")
    }
    let singleFrame: [UInt8] = Array(sample.writtenBytes)
    runner.note("sample frame (\(singleFrame.count) bytes): \(hex(singleFrame))")
    checkSingleFrame(singleFrame, payload: payload)

    let baseSN = opaque(fourByteSN)
    runner.measure("encode Frame+Push/Put 8 B (key by id)") { n in
        for i in 0..<n {
            var w = WireWriter(small)
            do throws(EncodeError) {
                try encodeSinglePutFrame(into: &w, sn: baseSN &+ UInt64(i & 0xFFFF), payload: payload)
            } catch {
                fatalError("encode: \(error)")
            }
            blackHole(w.count)
        }
        blackHole(small)
    }

    // The same with the Push built once: what construction costs above.
    let prebuilt = opaque(smallPut(payload))
    runner.measure("encode Frame+Push/Put 8 B, Push prebuilt") { n in
        for i in 0..<n {
            var w = WireWriter(small)
            do throws(EncodeError) {
                try FrameHeader(reliability: .reliable, sn: baseSN &+ UInt64(i & 0xFFFF)).encode(into: &w)
                try prebuilt.encode(into: &w)
            } catch {
                fatalError("encode: \(error)")
            }
            blackHole(w.count)
        }
        blackHole(small)
    }

    let singleBatch = opaque(singleFrame)[...]
    runner.measure("decode Frame+Push/Put 8 B (BatchReader)") { n in
        for _ in 0..<n { blackHole(readAllItems(singleBatch)) }
    }

    // A full 65535-byte batch of small PUTs.
    let big = UnsafeMutableRawBufferPointer.allocate(byteCount: fullBatchSize, alignment: 16)
    defer { big.deallocate() }
    var filled = WireWriter(big)
    let perBatch = fillBatch(&filled, sn: fourByteSN, payload: payload)
    let fullBatch: [UInt8] = Array(filled.writtenBytes)
    runner.note("full batch: \(perBatch) PUTs in \(fullBatch.count) of \(fullBatchSize) bytes")
    precondition(readAllItems(fullBatch[...]) == perBatch, "full batch does not read back")

    runner.measure("fill 64 KiB batch with Puts (withRollback)", itemsPerOp: Double(perBatch), itemUnit: "msg") { n in
        for i in 0..<n {
            var w = WireWriter(big)
            blackHole(fillBatch(&w, sn: baseSN &+ UInt64(i & 0xFFFF), payload: payload))
        }
        blackHole(big)
    }

    let fullSlice = opaque(fullBatch)[...]
    runner.measure("decode 64 KiB batch of Puts (BatchReader)", itemsPerOp: Double(perBatch), itemUnit: "msg") { n in
        for _ in 0..<n { blackHole(readAllItems(fullSlice)) }
    }
}

/// The single-PUT frame must read back as what was written, or the timings
/// mean nothing.
func checkSingleFrame(_ bytes: [UInt8], payload: ZBytes) {
    var reader = BatchReader(bytes[...])
    var items: [BatchItem] = []
    do throws(DecodeError) {
        while let item = try reader.next() { items.append(item) }
    } catch {
        fatalError("sample frame does not decode: \(error)")
    }
    let expected: [BatchItem] = [
        .frame(FrameHeader(reliability: .reliable, sn: fourByteSN)),
        .network(.push(smallPut(payload))),
    ]
    precondition(items == expected, "sample frame decodes to \(items)")
}
