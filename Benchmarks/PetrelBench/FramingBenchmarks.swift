import PetrelWire

/// A 100-byte batch as a serial link carries it: a frame header and PUTs,
/// the last one's payload sized to end on exactly 100 bytes.
func hundredByteBatch() -> [UInt8] {
    do throws(EncodeError) {
        return try [UInt8].encoding(capacity: 100) { (w: inout WireWriter) throws(EncodeError) in
            try FrameHeader(reliability: .reliable, sn: fourByteSN).encode(into: &w)
            let payload: ZBytes = [0x00, 0x11, 0x22, 0x00, 0x44, 0x55, 0x66, 0x77]
            for _ in 0..<6 { try smallPut(payload).encode(into: &w) }
            // A PUSH of a PUT with a p-byte payload (p < 128) takes 4 + p bytes.
            let last = (0..<(w.remaining - 4)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            try smallPut(last[...]).encode(into: &w)
            precondition(w.remaining == 0)
        }
    } catch {
        fatalError("100-byte batch: \(error)")
    }
}

func framingBenchmarks(_ runner: inout BenchRunner) {
    let batch = hundredByteBatch()
    precondition(batch.count == 100 && readAllItems(batch[...]) == 7)
    let data = UnsafeMutableRawBufferPointer.allocate(byteCount: batch.count, alignment: 16)
    defer { data.deallocate() }
    opaque(batch).withUnsafeBytes { data.copyMemory(from: $0) }
    let input = UnsafeRawBufferPointer(data)

    let out = UnsafeMutableRawBufferPointer.allocate(
        byteCount: SerialFraming.maxEncodedSize(dataLength: batch.count), alignment: 16)
    defer { out.deallocate() }

    runner.measure("serial frame encode 100 B (COBS+CRC32)") { n in
        for _ in 0..<n {
            var w = WireWriter(out)
            do throws(EncodeError) {
                try SerialFraming.encode(flags: 0, data: input, into: &w)
            } catch {
                fatalError("serial encode: \(error)")
            }
            blackHole(w.count)
        }
        blackHole(out)
    }

    var w = WireWriter(out)
    do throws(EncodeError) { try SerialFraming.encode(flags: 0, data: input, into: &w) } catch {
        fatalError("serial encode: \(error)")
    }
    let encoded: ZBytes = opaque(Array(w.writtenBytes))[...]
    runner.note("serial frame of the 100-byte batch: \(encoded.count) bytes on the wire")
    var check = SerialDeframer()
    check.feed(encoded)
    precondition(check.nextFrame() == SerialFrame(flags: 0, payload: batch[...]), "serial frame does not read back")

    var deframer = SerialDeframer()
    runner.measure("serial frame decode 100 B (SerialDeframer)") { n in
        for _ in 0..<n {
            deframer.feed(encoded)
            while let frame = deframer.nextFrame() { blackHole(frame) }
        }
    }
    precondition(deframer.counters.rejected == 0)
}
