import Testing
import PetrelTime
@testable import PetrelStorage

@Suite("Offline log: append, read, restart, acknowledge")
struct OfflineLogTests {
    @Test("records read back as appended, with sequences 1, 2, 3, ...")
    func roundTrip() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log)
        var g = LogTestRandom(seed: 1)
        let records = (0..<300).map { _ in OfflineRecord.random(using: &g) }
        for (i, record) in records.enumerated() {
            #expect(try log.append(record) == .appended(sequence: UInt64(i + 1)))
        }
        let read = try log.readAll()
        #expect(read == records.enumerated().map { $0.element.stored(as: UInt64($0.offset + 1)) })
        let snapshot = log.snapshot()
        #expect(snapshot.appended == 300)
        #expect(snapshot.pendingRecords == 300)
        #expect(snapshot.lastSequence == 300)
        #expect(snapshot.bytes == segmentFiles(dir.log).reduce(0) { $0 + fileBytes($1).count })
    }

    @Test("readBatch pages through the log in order, across segments")
    func batches() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, segmentBytes: 2_000)
        for i in 1...500 { _ = try log.append(sampleRecord(i)) }
        #expect(segmentFiles(dir.log).count > 10)
        var cursor: UInt64 = 0
        var seen: [UInt64] = []
        while true {
            let batch = try log.readBatch(after: cursor, max: 37)
            if batch.isEmpty { break }
            #expect(batch.count <= 37)
            seen += batch.map(\.sequence)
            cursor = batch.last!.sequence
        }
        #expect(seen == Array(1...500))
        // Starting in the middle of a segment, between index entries.
        #expect(try log.readBatch(after: 200, max: 3).map(\.sequence) == [201, 202, 203])
        #expect(try log.readBatch(after: 500, max: 10).isEmpty)
        #expect(try log.readBatch(after: 0, max: 0).isEmpty)
        #expect(try log.readBatch(after: 499, max: 10).map(\.payload) == [sampleRecord(500).payload])
    }

    @Test("a restart keeps every record and continues the sequence", arguments: [FsyncPolicy.never, .everyRecord, .every(milliseconds: 5)])
    func restart(policy: FsyncPolicy) throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        do {
            let log = try OfflineLog.open(dir.log, policy: policy, segmentBytes: 3_000)
            for i in 1...120 { _ = try log.append(sampleRecord(i)) }
            try log.close()
        }
        let log = try OfflineLog.open(dir.log, policy: policy, segmentBytes: 3_000)
        #expect(log.snapshot().recoveredRecords == 120)
        #expect(log.snapshot().cutBytes == 0)
        #expect(try log.append(sampleRecord(121)) == .appended(sequence: 121))
        let read = try log.readAll()
        #expect(read == (1...121).map { sampleRecord($0).stored(as: UInt64($0)) })
    }

    @Test("acknowledging trims whole segments and a restart resumes after the cursor")
    func acknowledgeAndRestart() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        do {
            let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 1_000)
            for i in 1...100 { _ = try log.append(sampleRecord(i)) }
            let before = segmentFiles(dir.log).count
            try log.acknowledge(through: 57)
            #expect(log.acknowledgedThrough == 57)
            let after = segmentFiles(dir.log)
            #expect(after.count < before)
            // The oldest remaining segment holds 58 (or starts before it).
            let firstKept = LogSegment.firstSequence(fileName: String(after[0].split(separator: "/").last!))!
            #expect(firstKept <= 58)
            #expect(log.snapshot().pendingRecords == 43)
            #expect(try log.readAll(after: log.acknowledgedThrough).first?.sequence == 58)
            // Going back does nothing; beyond the end means the end.
            try log.acknowledge(through: 10)
            #expect(log.acknowledgedThrough == 57)
            try log.close()
        }
        let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 1_000)
        #expect(log.acknowledgedThrough == 57)
        #expect(log.snapshot().pendingRecords == 43)
        #expect(try log.readAll(after: log.acknowledgedThrough).map(\.sequence) == Array(58...100))
        try log.acknowledge(through: 1_000)
        #expect(log.acknowledgedThrough == 100)
        #expect(segmentFiles(dir.log).count == 1)
        #expect(log.snapshot().pendingRecords == 0)
        // New records keep counting up after a fully trimmed log is reopened.
        try log.close()
        let reopened = try OfflineLog.open(dir.log, segmentBytes: 1_000)
        #expect(try reopened.append(sampleRecord(101)) == .appended(sequence: 101))
        #expect(try reopened.readAll(after: reopened.acknowledgedThrough).map(\.sequence) == [101])
    }

    @Test("segments whose records are all acknowledged are deleted; the active one stays")
    func segmentsDeletedAfterAcknowledge() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, segmentBytes: 600)
        for i in 1...60 { _ = try log.append(sampleRecord(i)) }
        let files = segmentFiles(dir.log)
        #expect(files.count >= 6)
        try log.acknowledge(through: 60)
        #expect(segmentFiles(dir.log) == [files.last!])
        #expect(log.snapshot().segments == 1)
    }

    @Test("a cursor file that fails its checksum means replay from the oldest record kept")
    func corruptCursor() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        do {
            let log = try OfflineLog.open(dir.log)
            for i in 1...10 { _ = try log.append(sampleRecord(i)) }
            try log.acknowledge(through: 4)
        }
        var cursor = fileBytes(dir.log + "/cursor")
        #expect(cursor.count == 16)
        cursor[6] ^= 0x40
        writeFile(dir.log + "/cursor", cursor)
        let log = try OfflineLog.open(dir.log)
        #expect(log.acknowledgedThrough == 0)
        #expect(try log.readAll(after: log.acknowledgedThrough).map(\.sequence) == Array(1...10))
    }

    @Test("append after close throws .closed; close twice is fine")
    func closed() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log, policy: .every(milliseconds: 10))
        _ = try log.append(sampleRecord(1))
        try log.close()
        try log.close()
        #expect(throws: OfflineLogError.closed(path: dir.log)) { try log.append(sampleRecord(2)) }
        #expect(log.snapshot().durableThrough == 1)
    }

    @Test("errors a user can cause are values naming the path")
    func userErrors() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        // A directory below a regular file cannot be created (ENOTDIR, even as root).
        writeFile(dir.path + "/plain-file", [1, 2, 3])
        do {
            _ = try OfflineLog.open(dir.path + "/plain-file/log")
            Issue.record("opened a log below a file")
        } catch {
            #expect(error.path.hasPrefix(dir.path + "/plain-file"))
            #expect(error.description.contains(dir.path + "/plain-file"))
            #expect(error.description.contains("Not a directory"))
        }
        #expect(throws: OfflineLogError.self) { try OfflineLog.open(dir.log, maxBytes: 0) }
        #expect(throws: OfflineLogError.self) { try OfflineLog.open(dir.log, maxAge: .zero) }
        #expect(throws: OfflineLogError.self) { try OfflineLog.open(dir.log, policy: .every(milliseconds: 0)) }
        let log = try OfflineLog.open(dir.log, maxBytes: 1_000)
        var big = sampleRecord(1)
        big.payload = [UInt8](repeating: 7, count: 2_000)
        #expect(throws: OfflineLogError.self) { try log.append(big) }
        do { _ = try log.append(big) } catch {
            guard case .recordTooLarge(let bytes, let limit) = error else { Issue.record("\(error)"); return }
            #expect(bytes > 2_000 && limit == 1_000)
        }
    }

    @Test("a directory is open in one log at a time")
    func exclusive() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let first = try OfflineLog.open(dir.log)
        _ = try first.append(sampleRecord(1))
        #expect(throws: OfflineLogError.inUse(path: dir.log)) { try OfflineLog.open(dir.log) }
        try first.close()
        let second = try OfflineLog.open(dir.log)
        #expect(try second.readAll().count == 1)
    }

    @Test("the snapshot reads well in a log line")
    func snapshotText() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log)
        for i in 1...3 { _ = try log.append(sampleRecord(i)) }
        let text = log.snapshot().description
        #expect(text.hasPrefix("offline log: 3 pending ("))
        #expect(text.contains("dropped 0 oldest, 0 newest, 0 by age"))
    }
}
