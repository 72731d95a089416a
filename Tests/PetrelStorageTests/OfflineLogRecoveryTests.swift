import Foundation
import Testing
import PetrelTime
@testable import PetrelStorage

/// Where the records `sampleRecord(seq)` sit in the segment files of a log
/// whose record `seq` is `sampleRecord(seq)`.
private struct SegmentLayout {
    var path: String
    var firstSequence: UInt64
    /// Start offset of each record, in order, then the file size.
    var boundaries: [Int]

    var recordCount: Int { boundaries.count - 1 }

    static func read(_ directory: String) -> [SegmentLayout] {
        segmentFiles(directory).map { path in
            let name = String(path.split(separator: "/").last!)
            let first = LogSegment.firstSequence(fileName: name)!
            let size = fileBytes(path).count
            var boundaries = [0]
            var seq = first
            while boundaries.last! < size {
                boundaries.append(boundaries.last! + RecordFrame.encode(sampleRecord(Int(seq)), sequence: seq).count)
                seq += 1
            }
            precondition(boundaries.last! == size, "layout does not match \(path)")
            return SegmentLayout(path: path, firstSequence: first, boundaries: boundaries)
        }
    }
}

@Suite("Offline log: recovery from torn writes and corruption")
struct OfflineLogRecoveryTests {
    /// A closed log of records 1...count in segments of about `segmentBytes`.
    private func makeLog(_ dir: String, count: Int, segmentBytes: Int) throws {
        let log = try OfflineLog.open(dir, segmentBytes: segmentBytes)
        for i in 1...count { _ = try log.append(sampleRecord(i)) }
        try log.close()
    }

    @Test("a log cut at every byte offset of its last three records opens cleanly, keeps every whole record, appends after it")
    func tornTailAtEveryOffset() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.path + "/pristine", count: 40, segmentBytes: 1_500)
        let layout = SegmentLayout.read(dir.path + "/pristine")
        #expect(layout.count >= 3)
        let last = layout.last!
        #expect(last.recordCount >= 3)
        let lastName = String(last.path.split(separator: "/").last!)
        let total = Int(last.firstSequence) + last.recordCount - 1  // == 40
        #expect(total == 40)
        let pristine = fileBytes(last.path)
        let firstCut = last.boundaries[last.recordCount - 3]
        var opened = 0
        for cut in firstCut...pristine.count {
            copyDirectory(dir.path + "/pristine", to: dir.log)
            writeFile(dir.log + "/" + lastName, Array(pristine[..<cut]))
            let whole = last.boundaries.lastIndex { $0 <= cut }!  // records wholly before the cut
            let kept = Int(last.firstSequence) - 1 + whole
            let log = try OfflineLog.open(dir.log, policy: .everyRecord, segmentBytes: 1_500)
            let snapshot = log.snapshot()
            #expect(snapshot.recoveredRecords == kept, "cut at \(cut)")
            #expect(snapshot.cutBytes == cut - last.boundaries[whole], "cut at \(cut)")
            #expect(fileBytes(dir.log + "/" + lastName).count == last.boundaries[whole])
            #expect(try log.readAll() == (1...kept).map { sampleRecord($0).stored(as: UInt64($0)) }, "cut at \(cut)")
            // The next append continues right after the last whole record, and survives a restart.
            #expect(try log.append(sampleRecord(kept + 1)) == .appended(sequence: UInt64(kept + 1)))
            try log.close()
            let reopened = try OfflineLog.open(dir.log, segmentBytes: 1_500)
            #expect(reopened.snapshot().cutBytes == 0)
            #expect(try reopened.readAll() == (1...kept + 1).map { sampleRecord($0).stored(as: UInt64($0)) })
            opened += 1
        }
        #expect(opened == pristine.count - firstCut + 1)
    }

    @Test("a last segment cut inside its first record, or to nothing, keeps the earlier segments")
    func tornFirstRecordOfLastSegment() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.path + "/pristine", count: 30, segmentBytes: 1_000)
        let last = SegmentLayout.read(dir.path + "/pristine").last!
        let name = String(last.path.split(separator: "/").last!)
        let kept = Int(last.firstSequence) - 1
        for cut in [0, 1, 5, 13, 14, last.boundaries[1] - 1] {
            copyDirectory(dir.path + "/pristine", to: dir.log)
            writeFile(dir.log + "/" + name, Array(fileBytes(last.path)[..<cut]))
            let log = try OfflineLog.open(dir.log, segmentBytes: 1_000)
            #expect(try log.readAll().map(\.sequence) == (1...kept).map { UInt64($0) })
            #expect(try log.append(sampleRecord(kept + 1)) == .appended(sequence: UInt64(kept + 1)))
            #expect(try log.readAll().count == kept + 1)
        }
    }

    @Test("zeros or garbage after the last record (a power cut that extended the file) are cut")
    func garbageTail() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.log, count: 10, segmentBytes: 1 << 20)
        let path = segmentFiles(dir.log)[0]
        let good = fileBytes(path)
        var g = LogTestRandom(seed: 3)
        for tail in [[UInt8](repeating: 0, count: 4096), (0..<777).map { _ in UInt8.random(in: 0...255, using: &g) },
                     [0xA1, 0xFF, 0xFF, 0xFF, 0xFF], [0xA1, 10, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 1, 2]] {
            writeFile(path, good + tail)
            let log = try OfflineLog.open(dir.log)
            #expect(log.snapshot().cutBytes == tail.count)
            #expect(try log.readAll().count == 10)
            #expect(fileBytes(path) == good)
        }
    }

    @Test("a corrupt byte anywhere in a middle record drops it and the rest of its segment, nothing else, without trapping")
    func corruptByteInTheMiddle() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.path + "/pristine", count: 60, segmentBytes: 1_200)
        let layout = SegmentLayout.read(dir.path + "/pristine")
        #expect(layout.count >= 4)
        for (segmentIndex, segment) in layout.enumerated() where segmentIndex == 1 || segmentIndex == layout.count - 1 {
            let name = String(segment.path.split(separator: "/").last!)
            let pristine = fileBytes(segment.path)
            // The first record of a middle segment, and a record in the middle of each tested segment.
            for recordIndex in Set([0, segment.recordCount / 2]) {
                let start = segment.boundaries[recordIndex], end = segment.boundaries[recordIndex + 1]
                for position in start..<end {
                    copyDirectory(dir.path + "/pristine", to: dir.log)
                    var bytes = pristine
                    bytes[position] ^= 0x10
                    writeFile(dir.log + "/" + name, bytes)
                    let log = try OfflineLog.open(dir.log, segmentBytes: 1_200)
                    let lostFirst = Int(segment.firstSequence) + recordIndex
                    let lostLast = Int(segment.firstSequence) + segment.recordCount - 1
                    let expected = (1...60).filter { $0 < lostFirst || $0 > lostLast }
                    #expect(try log.readAll().map(\.sequence) == expected.map { UInt64($0) }, "byte \(position) of \(name)")
                    #expect(log.snapshot().cutBytes == pristine.count - start)
                    #expect(log.snapshot().recoveredRecords == expected.count)
                    // Appending still works: after the end of the log.
                    let next = log.snapshot().lastSequence + 1
                    #expect(try log.append(sampleRecord(Int(next))).sequence == next)
                }
            }
        }
    }

    @Test("a segment file that does not hold what its name says is cut, not trusted")
    func mismatchedSequence() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.log, count: 5, segmentBytes: 1 << 20)
        let path = segmentFiles(dir.log)[0]
        let size = fileBytes(path).count
        try FileManager.default.moveItem(atPath: path, toPath: dir.log + "/" + LogSegment.fileName(firstSequence: 9))
        let log = try OfflineLog.open(dir.log)
        #expect(try log.readAll().isEmpty)
        #expect(log.snapshot().cutBytes == size)
        #expect(try log.append(sampleRecord(9)) == .appended(sequence: 9))
    }

    @Test("a record that goes bad after open is an error naming the file when read, not a trap")
    func corruptionAfterOpen() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let log = try OfflineLog.open(dir.log)
        for i in 1...20 { _ = try log.append(sampleRecord(i)) }
        let path = segmentFiles(dir.log)[0]
        var bytes = fileBytes(path)
        bytes[bytes.count / 2] ^= 0x01
        writeFile(path, bytes)
        #expect(try log.readBatch(after: 0, max: 3).map(\.sequence) == [1, 2, 3])
        do {
            _ = try log.readAll()
            Issue.record("read a corrupt record")
        } catch {
            guard case .corruptRecord(let p, let offset, _) = error else { Issue.record("\(error)"); return }
            #expect(p == path)
            #expect(offset <= bytes.count / 2)
        }
    }

    @Test("other files in the directory are left alone")
    func foreignFiles() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        try makeLog(dir.log, count: 3, segmentBytes: 1 << 20)
        writeFile(dir.log + "/README", Array("hello".utf8))
        writeFile(dir.log + "/seg-xyz.log", [1, 2, 3])
        let log = try OfflineLog.open(dir.log)
        #expect(try log.readAll().count == 3)
        #expect(fileBytes(dir.log + "/README") == Array("hello".utf8))
        #expect(fileBytes(dir.log + "/seg-xyz.log") == [1, 2, 3])
    }
}
