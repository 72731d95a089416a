import Testing
import PetrelTime
@testable import PetrelStorage
import PetrelSystem

@Suite("Offline record binary form")
struct OfflineRecordCodingTests {
    @Test("random records round-trip through body encode and decode")
    func roundTrip() throws {
        var g = LogTestRandom(seed: 42)
        for _ in 0..<2000 {
            let record = OfflineRecord.random(using: &g)
            var body: [UInt8] = []
            record.encodeBody(into: &body)
            #expect(body.count == record.encodedBodyCount)
            let sequence = UInt64.random(in: 0...UInt64.max, using: &g)
            let decoded = try OfflineRecord.decodeBody(body[...], sequence: sequence)
            #expect(decoded == record.stored(as: sequence))
            #expect(OfflineRecord.peekTime(body[...]) == record.timestamp.time)
        }
    }

    @Test("every truncation of a body is rejected without trapping")
    func truncatedBodies() {
        var g = LogTestRandom(seed: 5)
        for _ in 0..<50 {
            var record = OfflineRecord.random(using: &g)
            record.payload = Array(record.payload.prefix(40))
            var body: [UInt8] = []
            record.encodeBody(into: &body)
            for cut in 0..<body.count {
                #expect(throws: RecordBodyError.self) { try OfflineRecord.decodeBody(body[..<cut], sequence: 1) }
            }
            #expect(throws: RecordBodyError.self) { try OfflineRecord.decodeBody((body + [0])[...], sequence: 1) }
        }
    }

    @Test("random bytes never trap the decoder")
    func garbage() {
        var g = LogTestRandom(seed: 9)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...64, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            _ = try? OfflineRecord.decodeBody(bytes[...], sequence: 1)
        }
    }

    @Test("a frame is 17 bytes of header and checksum around the body")
    func frameLayout() {
        let record = sampleRecord(1)
        let frame = RecordFrame.encode(record, sequence: 0x0102_0304_0506_0708)
        #expect(frame.count == record.encodedBodyCount + 17)
        #expect(frame[0] == 0xA1)
        #expect(Array(frame[1..<5]) == [UInt8(record.encodedBodyCount), 0, 0, 0])
        #expect(Array(frame[5..<13]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(RecordFrame.readLittleEndian(UInt32.self, frame, at: frame.count - 4)
                == CRC32C.checksum(frame[..<(frame.count - 4)]))
    }

    @Test("replay order is by timestamp, ties by sequence")
    func replayOrder() {
        let a = ZenohID(high: 0, low: 1)!, b = ZenohID(high: 0, low: 2)!
        func r(_ seq: UInt64, _ t: UInt64, _ id: ZenohID) -> OfflineRecord {
            OfflineRecord(sequence: seq, key: "k", payload: [], timestamp: Timestamp(time: NTP64(rawValue: t), id: id))
        }
        let records = [r(1, 30, a), r(2, 10, b), r(3, 20, a), r(4, 10, a), r(5, 10, b)]
        #expect(OfflineRecord.sortedForReplay(records).map(\.sequence) == [4, 2, 5, 3, 1])
    }
}
