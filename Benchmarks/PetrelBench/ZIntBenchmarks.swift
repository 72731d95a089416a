import PetrelWire

/// zints per iteration: one writer / reader serves this many values.
private let zintsPerIteration = 1024

func zintBenchmarks(_ runner: inout BenchRunner) {
    // Values whose encodings take 1, 4 and 9 bytes; a few distinct ones so
    // the loop cannot be reduced to a single store.
    let cases: [(bytes: Int, base: UInt64)] = [(1, 100), (4, 1 << 21), (9, UInt64.max - 64)]
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: zintsPerIteration * 9, alignment: 16)
    defer { buffer.deallocate() }

    for c in cases {
        let values: [UInt64] = opaque((0..<zintsPerIteration).map { c.base &+ UInt64($0 & 15) })
        precondition(values.allSatisfy { ZInt.encodedSize($0) == c.bytes })

        runner.measure("zint encode \(c.bytes)-byte value", opsPerIteration: zintsPerIteration) { n in
            for _ in 0..<n {
                var w = WireWriter(buffer)
                do throws(EncodeError) {
                    for v in values { try w.writeZInt(v) }
                } catch {
                    fatalError("zint encode: \(error)")
                }
                blackHole(w.count)
            }
            blackHole(buffer)
        }

        var w = WireWriter(buffer)
        do throws(EncodeError) { for v in values { try w.writeZInt(v) } } catch { fatalError("\(error)") }
        let encoded: ZBytes = opaque(Array(w.writtenBytes))[...]

        runner.measure("zint decode \(c.bytes)-byte value", opsPerIteration: zintsPerIteration) { n in
            for _ in 0..<n {
                var r = WireReader(encoded)
                var sum: UInt64 = 0
                do throws(DecodeError) {
                    for _ in 0..<zintsPerIteration { sum &+= try r.readZInt("bench") }
                } catch {
                    fatalError("zint decode: \(error)")
                }
                blackHole(sum)
            }
        }
    }
}
