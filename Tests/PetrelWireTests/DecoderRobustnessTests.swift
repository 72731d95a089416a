import Testing
import PetrelWire

// Decoders face untrusted bytes: whatever they are given, they must return a
// value or throw a DecodeError, never trap. These tests feed them the captured
// vectors cut short and corrupted, random byte strings shaped like messages,
// and valid encodings with random edits, and check on the way that:
// - `TransportMessage.decodeBatch` and `BatchReader` agree (same items, or the same error);
// - whatever decodes re-encodes, and the re-encoding decodes to the same value.
// The libFuzzer target in Fuzz/ checks the same properties for hours on end.

// MARK: - The checker

/// Decodes inputs with every decoder and checks the properties above. Failures
/// are recorded as issues (the first few in full) and counted.
private final class DecodeChecker {
    /// Encoder checks the decoder does not make: a peer may send these values
    /// (Rust's decoder takes them too) but Petrel refuses to send them, so a
    /// decoded value holding one re-encodes to `invalidValue` naming the field.
    static let fieldsTheDecoderAcceptsButTheEncoderRefuses: Set<String> = ["D_KEYEXPR.id", "U_KEYEXPR.id"]

    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private let sourceLocation: SourceLocation
    private(set) var failures = 0
    /// Successful decodes whose re-encoding was refused (see above).
    private(set) var refusedReencodings = 0
    /// Successful decodes, by decoder.
    private(set) var batches = 0, networkMessages = 0, scoutingMessages = 0
    /// Which message kinds decoded at least once (transport cases, network cases).
    private(set) var transportKinds: Set<String> = [], networkKinds: Set<String> = []

    init(sourceLocation: SourceLocation = #_sourceLocation) { self.sourceLocation = sourceLocation }
    deinit { buffer.deallocate() }

    func fail(_ message: @autoclosure () -> String) {
        failures += 1
        if failures <= 10 { Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation) }
    }

    /// Decodes a batch with `decodeBatch` and `BatchReader`. Returns the items
    /// (frames spelt out) if it decoded, `nil` if both decoders threw.
    /// `roundTrip: false` skips the re-encoding (for long inputs checked many times).
    @discardableResult
    func batch(_ batch: ZBytes, roundTrip: Bool = true, _ context: @autoclosure () -> String) -> [BatchItem]? {
        var whole: [TransportMessage]?
        var wholeError: DecodeError?
        do throws(DecodeError) { whole = try TransportMessage.decodeBatch(batch) } catch { wholeError = error }

        var reader = BatchReader(batch)
        var items: [BatchItem] = []
        var readerError: DecodeError?
        do throws(DecodeError) {
            while let item = try reader.next() { items.append(item) }
        } catch {
            readerError = error
        }

        guard let whole else {
            if readerError == nil {
                fail("\(context()): decodeBatch threw \(wholeError!), BatchReader read \(items.count) items: \(batch.fuzzHex)")
            } else if readerError != wholeError {
                fail("\(context()): decodeBatch threw \(wholeError!), BatchReader threw \(readerError!): \(batch.fuzzHex)")
            }
            return nil
        }
        if let readerError {
            fail("\(context()): decodeBatch read \(whole.count) messages, BatchReader threw \(readerError): \(batch.fuzzHex)")
            return nil
        }
        let expected = expandFrames(whole)
        guard expected == items else {
            fail("\(context()): decodeBatch and BatchReader read different items: \(batch.fuzzHex)")
            return nil
        }
        batches += 1
        for m in whole { noteKind(m) }
        if roundTrip {
            if let again = reencode(context(), batch, { (w: inout WireWriter) throws(EncodeError) in
                for m in whole { try m.encode(into: &w) }
            }) {
                do throws(DecodeError) {
                    let back = try TransportMessage.decodeBatch(again)
                    if back != whole { fail("\(context()): re-encoded batch decodes differently: \(batch.fuzzHex) -> \(again.fuzzHex)") }
                } catch {
                    fail("\(context()): re-encoded batch does not decode (\(error)): \(batch.fuzzHex) -> \(again.fuzzHex)")
                }
            }
        }
        return items
    }

    /// Decodes one network message from the start of `bytes` and round-trips it.
    @discardableResult
    func network(_ bytes: ZBytes, _ context: @autoclosure () -> String) -> NetworkMessage? {
        var r = WireReader(bytes)
        let m: NetworkMessage
        do throws(DecodeError) { m = try NetworkMessage.decode(from: &r) } catch { return nil }
        networkMessages += 1
        noteKind(m)
        if let again = reencode(context(), bytes, { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }) {
            var r2 = WireReader(again)
            do throws(DecodeError) {
                let back = try NetworkMessage.decode(from: &r2)
                if back != m || !r2.isAtEnd { fail("\(context()): re-encoded network message decodes differently: \(bytes.fuzzHex)") }
            } catch {
                fail("\(context()): re-encoded network message does not decode (\(error)): \(bytes.fuzzHex)")
            }
        }
        return m
    }

    /// Decodes `datagram` as a scouting message and round-trips it.
    @discardableResult
    func scouting(_ datagram: ZBytes, _ context: @autoclosure () -> String) -> ScoutingMessage? {
        let m: ScoutingMessage
        do throws(DecodeError) { m = try ScoutingMessage.decode(datagram: datagram) } catch { return nil }
        scoutingMessages += 1
        if let again = reencode(context(), datagram, { (w: inout WireWriter) throws(EncodeError) in try m.encode(into: &w) }) {
            do throws(DecodeError) {
                if try ScoutingMessage.decode(datagram: again) != m {
                    fail("\(context()): re-encoded scouting message decodes differently: \(datagram.fuzzHex)")
                }
            } catch {
                fail("\(context()): re-encoded scouting message does not decode (\(error)): \(datagram.fuzzHex)")
            }
        }
        return m
    }

    /// All three decoders.
    func all(_ bytes: ZBytes, _ context: @autoclosure () -> String) {
        batch(bytes, context())
        network(bytes, context())
        scouting(bytes, context())
    }

    /// Re-encodes a decoded value into the buffer; `nil` if the encoder refused
    /// it for a listed reason (counted) or failed (recorded).
    private func reencode(_ context: @autoclosure () -> String, _ input: ZBytes,
                          _ body: (inout WireWriter) throws(EncodeError) -> Void) -> ZBytes? {
        var w = WireWriter(buffer)
        do throws(EncodeError) {
            try body(&w)
        } catch {
            if case .invalidValue(let field) = error,
               Self.fieldsTheDecoderAcceptsButTheEncoderRefuses.contains(field.description) {
                refusedReencodings += 1
            } else {
                fail("\(context()): a decoded value does not re-encode (\(error)): \(input.fuzzHex)")
            }
            return nil
        }
        return Array(w.writtenBytes)[...]
    }

    private func noteKind(_ m: TransportMessage) {
        let kind: String
        switch m {
        case .initSyn: kind = "InitSyn"
        case .initAck: kind = "InitAck"
        case .openSyn: kind = "OpenSyn"
        case .openAck: kind = "OpenAck"
        case .close: kind = "Close"
        case .keepAlive: kind = "KeepAlive"
        case .frame(let f):
            kind = "Frame"
            for n in f.messages { noteKind(n) }
        case .fragment: kind = "Fragment"
        case .join: kind = "Join"
        case .oam: kind = "OAM"
        }
        transportKinds.insert(kind)
    }

    private func noteKind(_ m: NetworkMessage) {
        switch m {
        case .push: networkKinds.insert("Push")
        case .request: networkKinds.insert("Request")
        case .response: networkKinds.insert("Response")
        case .responseFinal: networkKinds.insert("ResponseFinal")
        case .declare: networkKinds.insert("Declare")
        case .interest: networkKinds.insert("Interest")
        case .oam: networkKinds.insert("OAM")
        }
    }
}

/// What `BatchReader` yields for decoded messages: a frame as its header, then its messages.
private func expandFrames(_ messages: [TransportMessage]) -> [BatchItem] {
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

/// The offsets (relative to the batch start) where each item of a good batch ends,
/// and where the payload of a final Fragment starts (`nil` if none).
private func itemBoundaries(_ batch: ZBytes) throws -> (ends: Set<Int>, fragmentPayloadStart: Int?) {
    var reader = BatchReader(batch)
    var ends: Set<Int> = [0]
    var fragmentPayloadStart: Int?
    while let item = try reader.next() {
        ends.insert(batch.count - reader.remaining)
        if case .transport(.fragment(let f)) = item { fragmentPayloadStart = batch.count - f.payload.count }
    }
    return (ends, fragmentPayloadStart)
}

/// Where the first network message of a batch starts (relative to the batch
/// start): right after the first frame header; `nil` if no frame holds one.
private func firstNetworkMessageOffset(_ batch: ZBytes) throws -> Int? {
    var reader = BatchReader(batch)
    while let item = try reader.next() {
        guard case .frame = item else { continue }
        let offset = batch.count - reader.remaining
        guard offset < batch.count, NetworkMessage.isNetworkID(batch[batch.startIndex + offset]) else { return nil }
        return offset
    }
    return nil
}

extension ArraySlice where Element == UInt8 {
    /// Hex for failure messages, cut at 256 bytes.
    fileprivate var fuzzHex: String {
        Array(prefix(256)).hex + (count > 256 ? "…(\(count) bytes)" : "")
    }
}

// MARK: - Random inputs

extension SeededRandom {
    /// 0..<n, cheaply (modulo bias is irrelevant here).
    fileprivate mutating func below(_ n: Int) -> Int { Int(truncatingIfNeeded: next() % UInt64(n)) }

    /// Extension keys the messages know (id | M | encoding), to reach their decoders.
    private static let knownExtensionKeys: [UInt8] = [0x01, 0x02, 0x03, 0x21, 0x22, 0x25, 0x26, 0x27, 0x31, 0x33, 0x34,
                                                      0x41, 0x42, 0x43, 0x44, 0x45, 0x47, 0x51, 0x52, 0x5F]

    /// A short byte string shaped like a message: a header byte with a real
    /// message id and random flags, then a few fields drawn from what messages
    /// hold (zints of every size, short length-prefixed bytes, extension headers
    /// and bodies, nested message and declaration headers, the protocol version),
    /// cut at a random point now and then.
    fileprivate mutating func fuzzInput(into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let ids: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F]
        out.append(ids[below(ids.count)] | UInt8(truncatingIfNeeded: next()) & 0xE0)
        for _ in 0..<below(8) {
            let word = next()
            switch below(12) {
            case 0, 1:  // a zint of 1...10 bytes (10 = overlong)
                let n = below(10) + 1
                for i in 0..<n { out.append(UInt8(truncatingIfNeeded: word >> (i * 6)) | (i < n - 1 ? 0x80 : 0)) }
            case 2:  // a small zint
                out.append(UInt8(truncatingIfNeeded: word) & 0x7F)
            case 3, 4:  // length-prefixed bytes, the length sometimes a lie
                let n = below(9)
                out.append(UInt8(n + (word & 7 == 0 ? 1 + below(3) : 0)))
                for i in 0..<n { out.append(UInt8(truncatingIfNeeded: word >> (i * 8))) }
            case 5, 6:  // an extension header (often a known key), Z random, then a body
                let key = word & 1 == 0 ? Self.knownExtensionKeys[below(Self.knownExtensionKeys.count)]
                                        : UInt8(truncatingIfNeeded: word >> 8) & 0x7F
                out.append(key | (word & 2 == 0 ? 0x80 : 0))
                switch key & 0x60 {
                case 0x20: out.append(UInt8(truncatingIfNeeded: word >> 16) & 0x7F)
                case 0x40:
                    let n = below(6)
                    out.append(UInt8(n))
                    for i in 0..<n { out.append(UInt8(truncatingIfNeeded: word >> (16 + i * 8))) }
                default: break
                }
            case 7:  // a network message header, to continue a frame
                out.append(ids[7 + below(8)] | UInt8(truncatingIfNeeded: word) & 0xE0)
            case 8:  // a declaration header
                let declarations: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x1A]
                out.append(declarations[below(declarations.count)] | UInt8(truncatingIfNeeded: word) & 0xE0)
            case 9:  // the protocol version, then a whatami/ZID-length byte
                out.append(0x09)
                out.append(UInt8(truncatingIfNeeded: word))
            case 10:  // a short UTF-8-ish run (key suffixes, locators)
                let n = below(6)
                for i in 0..<n { out.append(0x61 + UInt8(truncatingIfNeeded: word >> (i * 5)) & 0x1F) }
            default:  // raw bytes
                for i in 0..<below(4) { out.append(UInt8(truncatingIfNeeded: word >> (i * 8))) }
            }
        }
        if below(8) == 0, out.count > 1 { out.removeLast(below(out.count - 1) + 1) }
    }

    /// Applies 1...4 random edits: change, set to an interesting value, insert,
    /// delete, duplicate or drop a range, cut short.
    fileprivate mutating func mutate(_ bytes: inout [UInt8]) {
        let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x09, 0x1D, 0x05, 0x21, 0x42, 0x5F]
        for _ in 0...below(4) {
            let i = bytes.isEmpty ? 0 : below(bytes.count)
            switch below(8) {
            case 0 where !bytes.isEmpty: bytes[i] ^= UInt8(truncatingIfNeeded: next() | 1)
            case 1 where !bytes.isEmpty: bytes[i] ^= 1 << UInt8(below(8))
            case 2 where !bytes.isEmpty: bytes[i] = interesting[below(interesting.count)]
            case 3: bytes.insert(UInt8(truncatingIfNeeded: next()), at: i)
            case 4: bytes.insert(contentsOf: repeatElement(interesting[below(interesting.count)], count: below(9) + 1), at: i)
            case 5 where !bytes.isEmpty: bytes.removeSubrange(i..<min(bytes.count, i + below(4) + 1))
            case 6 where !bytes.isEmpty:
                let range = i..<min(bytes.count, i + below(16) + 1)
                bytes.insert(contentsOf: Array(bytes[range]), at: below(bytes.count + 1))
            case 7 where !bytes.isEmpty: bytes.removeLast(below(bytes.count) + 1)
            default: bytes.append(UInt8(truncatingIfNeeded: next()))
            }
        }
    }
}

/// How many random inputs `randomInputs` decodes: `PETREL_FUZZ_ITERATIONS`, else 1,000,000.
private let fuzzIterations: Int = getenvString("PETREL_FUZZ_ITERATIONS").flatMap { Int($0) } ?? 1_000_000

// MARK: - Tests

@Suite("Decoder robustness")
struct DecoderRobustnessTests {
    /// Every captured vector cut at every length. A batch prefix decodes exactly
    /// when it ends where an item of the full batch ends, or inside the payload
    /// of a final Fragment (which takes whatever is left); and then it yields the
    /// full batch's first items. Round trips are checked for every prefix of
    /// short vectors and for a sample of the long (fragment) ones.
    @Test func truncatedVectors() throws {
        let checker = DecodeChecker()
        #expect(Vectors.all.count > 90)
        var prefixes = 0
        for v in Vectors.all {
            let full = Vectors.batch(of: v)
            if v.name.hasPrefix("scouting") {
                // A datagram holds one scouting message, which needs every byte.
                #expect(checker.scouting(full, "\(v.name) whole") != nil)
                for length in 0..<full.count where checker.scouting(full.prefix(length), "\(v.name) cut at \(length)") != nil {
                    checker.fail("\(v.name) cut at \(length) of \(full.count) decoded")
                }
                continue
            }
            let fullItems = try #require(checker.batch(full, "\(v.name) whole"))
            let (ends, fragmentPayloadStart) = try itemBoundaries(full)
            for length in 0..<full.count {
                let prefix = full.prefix(length)
                let roundTrip = full.count <= 1024 || length < 256 || length % 4096 == 0
                let items = checker.batch(prefix, roundTrip: roundTrip, "\(v.name) cut at \(length)")
                prefixes += 1
                let shouldDecode = ends.contains(length) || fragmentPayloadStart.map { length >= $0 } ?? false
                guard let items else {
                    if shouldDecode { checker.fail("\(v.name) cut at \(length) of \(full.count) did not decode") }
                    continue
                }
                if !shouldDecode {
                    checker.fail("\(v.name) cut at \(length) of \(full.count) decoded")
                } else if fragmentPayloadStart.map({ length >= $0 }) ?? false {
                    // Ends inside the fragment's payload: all items but the fragment are whole.
                    if Array(items.dropLast()) != Array(fullItems.prefix(items.count - 1)) {
                        checker.fail("\(v.name) cut at \(length): items differ from the whole batch's")
                    }
                } else if items != Array(fullItems.prefix(items.count)) {
                    checker.fail("\(v.name) cut at \(length): items differ from the whole batch's")
                }
            }
        }
        #expect(prefixes > 170_000)
        #expect(checker.failures == 0)
    }

    /// Every byte of every vector (of the long fragment vectors: the first 512,
    /// the last 128 and 256 others) XORed with 0xFF, then with 0x01, 0x10 and
    /// 0x80 in turn. Flipping all the bits of the header byte turns a transport
    /// or scouting id (0x00...0x07) into a network id (0x18...0x1F): always rejected.
    @Test func flippedVectors() throws {
        let checker = DecodeChecker()
        var variants = 0, decoded = 0
        for v in Vectors.all {
            let full = Vectors.batch(of: v)
            var bytes = Array(full)
            var rng = SeededRandom(seed: SeededRandom.testSeed &+ UInt64(bytes.count))
            let positions: [Int] = bytes.count <= 1024
                ? Array(bytes.indices)
                : Array(0..<512) + Array((bytes.count - 128)..<bytes.count) + (0..<256).map { _ in 512 + rng.below(bytes.count - 640) }
            for i in positions {
                for mask: UInt8 in [0xFF, 0x01, 0x10, 0x80] {
                    bytes[i] ^= mask
                    // The slice shares `bytes`' storage until the decoded values are gone.
                    // Round trips of long vectors (copying and comparing a whole
                    // fragment payload) only where the headers are.
                    let roundTrip = bytes.count <= 1024 || i < 32
                    let ok: Bool
                    if v.name.hasPrefix("scouting") {
                        ok = checker.scouting(bytes[...], "\(v.name) byte \(i) ^ \(mask)") != nil
                        checker.batch(bytes[...], "\(v.name) byte \(i) ^ \(mask)")
                    } else {
                        ok = checker.batch(bytes[...], roundTrip: roundTrip, "\(v.name) byte \(i) ^ \(mask)") != nil
                    }
                    if i == 0 && mask == 0xFF && ok { checker.fail("\(v.name): inverted header byte decoded") }
                    variants += 1
                    if ok { decoded += 1 }
                    bytes[i] ^= mask
                }
            }
            // The first network message of a frame, on its own: every one of its
            // first 64 bytes inverted.
            if !v.name.hasPrefix("scouting"), let start = try firstNetworkMessageOffset(full) {
                #expect(checker.network(bytes[start...], "\(v.name) first network message") != nil)
                for i in start..<min(bytes.count, start + 64) {
                    bytes[i] ^= 0xFF
                    checker.network(bytes[start...], "\(v.name) network message byte \(i) ^ ff")
                    bytes[i] ^= 0xFF
                }
            }
        }
        #expect(variants > 20_000)
        // Many flips land in payloads, SNs, ids and ZIDs and still decode; many do not.
        #expect(decoded > variants / 10 && decoded < variants * 9 / 10)
        #expect(checker.failures == 0)
    }

    /// `PETREL_FUZZ_ITERATIONS` (default 1,000,000) random message-shaped inputs,
    /// each through the batch decoders, the network message decoder and the
    /// scouting decoder. The generator must reach every kind of message.
    @Test func randomInputs() {
        let checker = DecodeChecker()
        var rng = SeededRandom(seed: SeededRandom.testSeed)
        var input: [UInt8] = []
        input.reserveCapacity(256)
        for i in 0..<fuzzIterations {
            rng.fuzzInput(into: &input)
            checker.all(input[...], "random #\(i) (PETREL_SEED=\(SeededRandom.testSeed))")
        }
        if fuzzIterations >= 1_000_000 {
            #expect(checker.transportKinds.count == 10, "transport kinds reached: \(checker.transportKinds.sorted())")
            #expect(checker.networkKinds.count == 7, "network kinds reached: \(checker.networkKinds.sorted())")
            #expect(checker.batches > fuzzIterations / 100)
            #expect(checker.scoutingMessages > fuzzIterations / 1000)
        }
        #expect(checker.failures == 0)
    }

    /// Random valid batches, network messages and scouting messages (the
    /// round-trip generators), encoded, edited at random, and decoded.
    /// `PETREL_FUZZ_ITERATIONS / 50` of each (20,000 by default).
    @Test func mutatedEncodings() throws {
        let checker = DecodeChecker()
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 1)
        let count = max(1, fuzzIterations / 50)
        let perMessage = 4
        for i in 0..<(count / perMessage) {
            let batch = try encoded { (w: inout WireWriter) throws(EncodeError) in
                for m in rng.batchMessages() { try m.encode(into: &w) }
            }
            let network = try encoded { (w: inout WireWriter) throws(EncodeError) in try rng.networkMessage().encode(into: &w) }
            let scouting = try encoded { (w: inout WireWriter) throws(EncodeError) in
                try (rng.bool() ? ScoutingMessage.scout(rng.scout()) : .hello(rng.hello())).encode(into: &w)
            }
            #expect(checker.batch(batch[...], "batch #\(i) unedited") != nil)
            for j in 0..<perMessage {
                var b = batch, n = network, s = scouting
                rng.mutate(&b)
                rng.mutate(&n)
                rng.mutate(&s)
                let context = "#\(i).\(j) (PETREL_SEED=\(SeededRandom.testSeed))"
                checker.batch(b[...], "edited batch \(context)")
                checker.network(n[...], "edited network message \(context)")
                checker.scouting(s[...], "edited scouting message \(context)")
            }
        }
        #expect(checker.failures == 0)
    }

    /// The deframers take random bytes in random pieces without trapping, and a
    /// serial stream with one corrupted byte delivers only payloads that were
    /// sent (the CRC catches the rest), losing at most two frames.
    @Test func deframers() throws {
        let checker = DecodeChecker()
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 2)
        for i in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<rng.below(8) {
                rng.fuzzInput(into: &bytes)
                if rng.bool() { bytes.append(0) }
            }
            var garbage = (0..<rng.below(600)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            garbage += bytes
            var stream = StreamDeframer(maxBatchSize: 2 + rng.below(1024))
            var serial = SerialDeframer(maxDataLength: rng.below(1600))
            var fed = 0, out = 0
            var rest = garbage[...]
            while !rest.isEmpty {
                let piece = rest.prefix(rng.below(64) + 1)
                rest = rest.dropFirst(piece.count)
                fed += piece.count
                stream.feed(Array(piece)[...])
                serial.feed(Array(piece)[...])
                do throws(DecodeError) {
                    while let b = try stream.nextBatch() {
                        out += b.count + 2
                        checker.batch(b, "stream batch of random input #\(i)")
                    }
                } catch {}
                while let f = serial.nextFrame() { checker.batch(f.payload, "serial frame of random input #\(i)") }
            }
            #expect(out <= fed)
        }

        // Valid serial streams, one byte corrupted.
        for i in 0..<300 {
            let payloads: [[UInt8]] = (0..<(rng.below(4) + 2)).map { _ in
                (try? encoded { (w: inout WireWriter) throws(EncodeError) in
                    for m in rng.batchMessages() { try m.encode(into: &w) }
                }).map { Array($0.prefix(1500)) } ?? []
            }
            var line: [UInt8] = []
            for p in payloads {
                line += try encoded { (w: inout WireWriter) throws(EncodeError) in try SerialFraming.encode(flags: 0, data: p[...], into: &w) }
            }
            let at = rng.below(line.count)
            line[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            var serial = SerialDeframer()
            serial.feed(line)
            var delivered = 0
            while let f = serial.nextFrame() {
                delivered += 1
                if !payloads.contains(Array(f.payload)) {
                    checker.fail("corrupted serial stream #\(i) (byte \(at)) delivered a payload never sent")
                }
                checker.batch(f.payload, "serial frame #\(i)")
            }
            #expect(delivered >= payloads.count - 2, "stream #\(i): \(delivered) of \(payloads.count) frames delivered")
        }
        #expect(checker.failures == 0)
    }
}
