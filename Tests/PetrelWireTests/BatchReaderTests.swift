import Testing
import PetrelWire

/// Reads every item of a batch.
private func items(_ batch: [UInt8]) throws(DecodeError) -> [BatchItem] {
    var reader = BatchReader(batch[...])
    var out: [BatchItem] = []
    while let item = try reader.next() { out.append(item) }
    return out
}

/// What `BatchReader` should yield for messages: frames spelt out as header + messages.
private func expectedItems(_ messages: [TransportMessage]) -> [BatchItem] {
    messages.flatMap { m -> [BatchItem] in
        guard case .frame(let f) = m else { return [.transport(m)] }
        return [.frame(f.header)] + f.messages.map { .network($0) }
    }
}

private func encodedBatch(_ messages: [TransportMessage]) throws -> [UInt8] {
    try encoded { (w: inout WireWriter) throws(EncodeError) in for m in messages { try m.encode(into: &w) } }
}

@Suite("Batch reader")
struct BatchReaderTests {
    @Test func keepAliveFrameOfThreePushesKeepAlive() throws {
        var rng = SeededRandom(seed: SeededRandom.testSeed)
        let pushes = (0..<3).map { _ in NetworkMessage.push(rng.push()) }
        let frame = Frame(sn: 0x0FFF_FFFF, priority: .control, messages: pushes)
        let batch = try encodedBatch([.keepAlive(KeepAlive()), .frame(frame), .keepAlive(KeepAlive())])
        let got = try items(batch)
        #expect(got.count == 6)
        #expect(got == [.transport(.keepAlive(KeepAlive())), .frame(frame.header),
                        .network(pushes[0]), .network(pushes[1]), .network(pushes[2]),
                        .transport(.keepAlive(KeepAlive()))])
    }

    @Test func frameThenFragment() throws {
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 3)
        let push = NetworkMessage.push(rng.push())
        let frame = Frame(reliability: .bestEffort, sn: 41, messages: [push])
        let fragment = Fragment(more: true, sn: 42, first: true, payload: [0x7d, 0x00, 0x01, 0x61, 0x01])
        let batch = try encodedBatch([.frame(frame), .fragment(fragment)])
        #expect(try items(batch) == [.frame(frame.header), .network(push), .transport(.fragment(fragment))])
    }

    @Test func frameThenFrame() throws {
        let a = Frame(sn: 1, messages: [])
        let b = Frame(sn: 2, priority: .background, messages: [])
        #expect(try items(try encodedBatch([.frame(a), .frame(b)])) == [.frame(a.header), .frame(b.header)])
    }

    @Test func emptyBatch() throws {
        #expect(try items([]).isEmpty)
    }

    @Test func capturedFrame() throws {
        guard let v = Vectors.named("frame_push_put_minimal_full_key") else { Issue.record("no vector"); return }
        var reader = BatchReader(Vectors.batch(of: v))
        // `25 e0d6a85d`: reliable, SN zint e0 d6 a8 5d, no extension.
        #expect(try reader.next() == .frame(FrameHeader(reliability: .reliable, sn: 0x60 | 0x56 << 7 | 0x28 << 14 | 0x5d << 21)))
        guard case .network(.push(let p)) = try reader.next() else { Issue.record("no push"); return }
        #expect(p.wireExpr.suffix == "demo/example/a")
        guard case .put(let put) = p.body else { Issue.record("not a put"); return }
        #expect(Array(put.payload) == Array("hello".utf8))
        #expect(try reader.next() == nil)
        #expect(reader.remaining == 0)
    }

    /// On random batches the reader yields what `decodeBatch` decodes, frames spelt out.
    @Test func agreesWithDecodeBatch() throws {
        var rng = SeededRandom(seed: SeededRandom.testSeed &+ 4)
        for i in 0..<1000 {
            let messages = rng.batchMessages()
            let batch = try encodedBatch(messages)
            let got = try items(batch)
            #expect(got == expectedItems(messages), "batch #\(i): \(batch.hex)")
            if got != expectedItems(messages) { return }
        }
    }

    @Test func errorsSurface() {
        // A PUSH outside a frame is not a transport message.
        var reader = BatchReader([0x04, 0x1d][...])
        #expect(throws: Never.self) { _ = try reader.next() }
        #expect { _ = try reader.next() } throws: { ($0 as? DecodeError)?.kind == .unexpectedMessageID }
    }
}
