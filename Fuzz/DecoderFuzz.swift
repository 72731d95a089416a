// libFuzzer target for every PetrelWire entry point that reads untrusted bytes.
// Built and run by scripts/fuzz (see Fuzz/README.md); not part of the package.
//
// A decoder may return a value or throw a DecodeError; anything else is a bug and
// ends the run with the input saved: a trap (bounds, overflow, force unwrap), an
// AddressSanitizer report, or one of the consistency checks below failing
// (`fatalError`), which are the properties a round trip must keep.
import PetrelWire

/// Where decoded values are re-encoded. Larger than any input libFuzzer is
/// given (scripts/fuzz caps inputs at 4 KiB; the seed corpus at 64 KiB).
nonisolated(unsafe) let encodeBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let input = bytes[...]
    checkBatch(input)
    checkNetworkMessage(input)
    checkScouting(input)
    checkStreamDeframer(input)
    checkSerialDeframer(input)
    return 0
}

// MARK: - Batches

/// Both batch decoders must agree: same items on success, same error on failure.
/// A decoded batch must re-encode and decode back to itself.
func checkBatch(_ batch: ZBytes) {
    let whole: Result<[TransportMessage], DecodeError>
    do throws(DecodeError) { whole = .success(try TransportMessage.decodeBatch(batch)) } catch { whole = .failure(error) }

    var reader = BatchReader(batch)
    var items: [BatchItem] = []
    var itemsResult: Result<[BatchItem], DecodeError>
    do throws(DecodeError) {
        while let item = try reader.next() { items.append(item) }
        itemsResult = .success(items)
    } catch {
        itemsResult = .failure(error)
    }

    switch (whole, itemsResult) {
    case (.success(let messages), .success(let items)):
        guard expand(messages) == items else { fatalError("decodeBatch and BatchReader disagree on \(hex(batch))") }
        let again = reencode(hex: batch) { (w: inout WireWriter) throws(EncodeError) in
            for m in messages { try m.encode(into: &w) }
        }
        guard let again else { return }
        do throws(DecodeError) {
            let back = try TransportMessage.decodeBatch(again)
            guard back == messages else { fatalError("batch re-encoding decodes differently: \(hex(batch))") }
        } catch {
            fatalError("re-encoded batch does not decode (\(error)): \(hex(batch)) -> \(hex(again))")
        }
    case (.failure(let a), .failure(let b)):
        guard a == b else { fatalError("decodeBatch threw \(a), BatchReader threw \(b): \(hex(batch))") }
    default:
        fatalError("decodeBatch and BatchReader disagree on success: \(hex(batch))")
    }
}

/// What BatchReader yields for decoded messages: a frame as its header, then its messages.
func expand(_ messages: [TransportMessage]) -> [BatchItem] {
    var out: [BatchItem] = []
    for m in messages {
        if case .frame(let f) = m {
            out.append(.frame(f.header))
            for n in f.messages { out.append(.network(n)) }
        } else {
            out.append(.transport(m))
        }
    }
    return out
}

// MARK: - Single messages

func checkNetworkMessage(_ bytes: ZBytes) {
    var r = WireReader(bytes)
    let m: NetworkMessage
    do throws(DecodeError) { m = try NetworkMessage.decode(from: &r) } catch { return }
    guard r.index <= bytes.endIndex else { fatalError("network decoder read past the end") }
    guard let again = reencode(hex: bytes, { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }) else { return }
    var r2 = WireReader(again)
    do throws(DecodeError) {
        let back = try NetworkMessage.decode(from: &r2)
        guard back == m, r2.isAtEnd else { fatalError("network message re-encoding decodes differently: \(hex(bytes))") }
    } catch {
        fatalError("re-encoded network message does not decode (\(error)): \(hex(bytes))")
    }
}

func checkScouting(_ datagram: ZBytes) {
    let m: ScoutingMessage
    do throws(DecodeError) { m = try ScoutingMessage.decode(datagram: datagram) } catch { return }
    guard let again = reencode(hex: datagram, { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }) else { return }
    do throws(DecodeError) {
        guard try ScoutingMessage.decode(datagram: again) == m else {
            fatalError("scouting re-encoding decodes differently: \(hex(datagram))")
        }
    } catch {
        fatalError("re-encoded scouting message does not decode (\(error)): \(hex(datagram))")
    }
}

// MARK: - Deframers

/// Feeds the input to a stream deframer in pieces (sizes from a generator
/// seeded by the input, so a crash replays) and decodes every batch it yields.
func checkStreamDeframer(_ bytes: ZBytes) {
    var deframer = StreamDeframer(maxBatchSize: bytes.first.map { Int($0) << 6 | 2 } ?? 2)
    var pieces = Pieces(bytes)
    var delivered = 0
    while let piece = pieces.next() {
        deframer.feed(piece)
        while true {
            let batch: ZBytes?
            do throws(DecodeError) { batch = try deframer.nextBatch() } catch { return }
            guard let batch else { break }
            delivered += batch.count + StreamFraming.prefixSize
            guard batch.count + StreamFraming.prefixSize <= deframer.maxBatchSize else { fatalError("oversize stream batch") }
            decodeQuietly(batch)
        }
    }
    guard delivered + deframer.bufferedByteCount == bytes.count else {
        fatalError("stream deframer lost or invented bytes: \(hex(bytes))")
    }
}

/// Feeds the input to a serial deframer in pieces and decodes every frame it delivers.
func checkSerialDeframer(_ bytes: ZBytes) {
    var deframer = SerialDeframer(maxDataLength: bytes.count > 1 ? Int(bytes[bytes.startIndex + 1]) << 3 : 1500)
    var pieces = Pieces(bytes)
    var frames = 0
    while let piece = pieces.next() {
        deframer.feed(piece)
        while let frame = deframer.nextFrame() {
            frames += 1
            guard frame.payload.count <= deframer.maxDataLength else { fatalError("oversize serial frame") }
            decodeQuietly(frame.payload)
        }
    }
    guard deframer.counters.delivered == frames else { fatalError("serial deframer miscounted") }
}

/// Splits bytes into pieces of 1...64 bytes, sizes drawn from the bytes themselves.
struct Pieces {
    var rest: ZBytes
    var state: UInt32

    init(_ bytes: ZBytes) {
        rest = bytes
        state = UInt32(truncatingIfNeeded: bytes.count) &* 2_654_435_761 ^ UInt32(bytes.last ?? 0)
    }

    mutating func next() -> ZBytes? {
        guard !rest.isEmpty else { return nil }
        state = state &* 1_664_525 &+ 1_013_904_223
        let n = min(rest.count, Int(state >> 26) + 1)
        let piece = rest.prefix(n)
        rest = rest.dropFirst(n)
        return piece
    }
}

/// Decodes a deframed batch both ways; only a trap matters here.
func decodeQuietly(_ batch: ZBytes) {
    _ = try? TransportMessage.decodeBatch(batch)
    var reader = BatchReader(batch)
    while case .some(.some) = try? reader.next() {}
}

// MARK: - Helpers

/// Encoder checks a decoder does not make: values a peer may send (Rust's
/// decoder takes them too) but Petrel refuses to send. Re-encoding such a value
/// throws `invalidValue` naming one of these fields, which is not a bug here.
let fieldsTheDecoderAcceptsButTheEncoderRefuses: Set<String> = ["D_KEYEXPR.id", "U_KEYEXPR.id"]

/// Encodes with `body` into the shared buffer and returns a copy of the bytes,
/// or `nil` if the encoder refused a value listed above. Any other encode
/// error is a crash: a decoded value must be sendable again.
func reencode(hex input: ZBytes, _ body: (inout WireWriter) throws(EncodeError) -> Void) -> ZBytes? {
    var w = WireWriter(encodeBuffer)
    do throws(EncodeError) {
        try body(&w)
    } catch {
        if case .invalidValue(let field) = error, fieldsTheDecoderAcceptsButTheEncoderRefuses.contains(field.description) {
            return nil
        }
        fatalError("a decoded value does not re-encode (\(error)): \(hex(input))")
    }
    return Array(w.writtenBytes)[...]
}

func hex(_ bytes: ZBytes) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    for b in bytes.prefix(512) {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 0x0F)])
    }
    return bytes.count > 512 ? s + "…(\(bytes.count) bytes)" : s
}
