import Foundation
import Synchronization
import Testing
import PetrelTime
@testable import PetrelStorage
import PetrelSystem

/// The `log-crash-writer` executable, built next to this test binary.
private func crashWriterPath() throws -> String {
    let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let path = (me as NSString).deletingLastPathComponent + "/log-crash-writer"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CrashTestError(text: "log-crash-writer not found at \(path); build the package first")
    }
    return path
}

private struct CrashTestError: Error, CustomStringConvertible { var text: String; var description: String { text } }

private func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// What a writer run printed, and when the parent killed it.
private struct WriterRun {
    var lines: [String]
    var killedAt: UInt64

    var durable: [(sequence: UInt64, at: UInt64)] {
        lines.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "durable", let s = UInt64(parts[1]), let t = UInt64(parts[2]) else { return nil }
            return (s, t)
        }
    }

    var lastAppended: UInt64 {
        lines.compactMap { line in line.hasPrefix("appended ") ? UInt64(line.dropFirst(9)) : nil }.max() ?? 0
    }
}

/// Starts the writer, lets it run for `runFor` after it reported the log open,
/// SIGKILLs it, and returns everything it printed.
private func runWriter(_ arguments: [String], runFor: Duration?) throws -> WriterRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try crashWriterPath())
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    let output = Mutex<[String]>([])
    let started = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    try process.run()
    Thread.detachNewThread {
        var pending = ""
        var signalled = false
        while true {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            pending += String(decoding: data, as: UTF8.self)
            var lines = pending.split(separator: "\n", omittingEmptySubsequences: false)
            pending = String(lines.removeLast())
            output.withLock { $0 += lines.map(String.init) }
            if !signalled, lines.contains(where: { $0 == "started" || $0.hasPrefix("error") }) {
                signalled = true
                started.signal()
            }
        }
        if !signalled { started.signal() }
        finished.signal()
    }
    var killedAt: UInt64 = 0
    if let runFor {
        _ = started.wait(timeout: .now() + 30)
        let (s, atto) = runFor.components
        usleep(useconds_t(s * 1_000_000 + atto / 1_000_000_000_000))
        killedAt = monotonicNanoseconds()
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    _ = finished.wait(timeout: .now() + 30)
    return WriterRun(lines: output.withLock { $0 }, killedAt: killedAt)
}

/// A record as the writer made it: its own count and the monotonic time of its append.
private struct WrittenRecord {
    var sequence: UInt64
    var count: UInt64
    var appendedAt: UInt64
    /// Segment file and the offset just after this record.
    var path: String
    var end: Int

    init(_ record: OfflineRecord, path: String, end: Int) {
        sequence = record.sequence
        count = record.payload.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (UInt64($1.offset) * 8) }
        appendedAt = record.payload.dropFirst(8).prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (UInt64($1.offset) * 8) }
        self.path = path
        self.end = end
    }
}

/// Every whole record in the segment files as they are (page cache included),
/// without going through `OfflineLog` (which would repair the files).
private func scanWritten(_ directory: String) throws -> [WrittenRecord] {
    var records: [WrittenRecord] = []
    for path in segmentFiles(directory) {
        let file = try SystemFile(readingAt: path)
        var scanner = FrameScanner(file: file, from: 0, to: try file.size(), expectedSequence: nil)
        while let frame = try? scanner.next() {
            let record = try OfflineRecord.decodeBody(frame.body, sequence: frame.sequence)
            records.append(WrittenRecord(record, path: path, end: frame.offset + frame.count))
        }
    }
    return records
}

/// A power cut, the worst the policy allows: everything written after record
/// `durable` never reached the disk, except a random torn piece of what
/// followed it in the same segment (later segment files keep a torn header).
private func cutPower(_ directory: String, after durable: UInt64, records: [WrittenRecord], using g: inout LogTestRandom) throws {
    let files = segmentFiles(directory)
    let keepEnd: (path: String, end: Int)
    if let last = records.last(where: { $0.sequence == durable }) {
        keepEnd = (last.path, last.end)
    } else {
        keepEnd = (files[0], 0)
    }
    var reachedCut = false
    for path in files {
        let bytes = fileBytes(path)
        if path == keepEnd.path {
            reachedCut = true
            let torn = bytes.count > keepEnd.end ? Int.random(in: 0...(bytes.count - keepEnd.end), using: &g) : 0
            writeFile(path, Array(bytes[..<(keepEnd.end + torn)]))
        } else if reachedCut {
            // Created after the cut point (rotation syncs a segment before the
            // next is created, so nothing in a later one can have survived):
            // at most a torn header.
            writeFile(path, Array(bytes.prefix(Int.random(in: 0...min(bytes.count, 16), using: &g))))
        }
    }
}

/// True when `sequences` is 1, 2, 3, ... (a compact check: these arrays are long).
private func isConsecutive(_ sequences: [UInt64]) -> Bool {
    sequences.enumerated().allSatisfy { $0.element == UInt64($0.offset) + 1 }
}

@Suite("Offline log: crash and power cut", .serialized)
struct OfflineLogCrashTests {
    @Test("power cut with fsync every record: nothing append returned for is lost")
    func powerCutEveryRecord() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        var g = LogTestRandom(seed: UInt64(monotonicNanoseconds()))
        let run = try runWriter([dir.log, "every-record"], runFor: .milliseconds(Int.random(in: 200...700, using: &g)))
        let reportedAppended = run.lastAppended
        let reportedDurable = run.durable.map(\.sequence).max() ?? 0
        #expect(reportedAppended > 50, "the writer appended only \(reportedAppended) records")
        #expect(reportedDurable >= reportedAppended)

        // What the kernel holds after kill -9: a clean prefix (maybe a torn record after it).
        let written = try scanWritten(dir.log)
        #expect(isConsecutive(written.map(\.sequence)))
        #expect(UInt64(written.count) >= reportedAppended)

        try cutPower(dir.log, after: reportedDurable, records: written, using: &g)
        let log = try OfflineLog.open(dir.log, policy: .everyRecord, maxBytes: 1 << 30, segmentBytes: 1 << 20)
        let survivors = try log.readAll()
        #expect(UInt64(survivors.count) >= reportedAppended)
        #expect(isConsecutive(survivors.map(\.sequence)))
        // Each record is the one the writer appended under that number.
        #expect(survivors.allSatisfy { WrittenRecord($0, path: "", end: 0).count == $0.sequence })
        #expect(try log.append(sampleRecord(0)).sequence == UInt64(survivors.count) + 1)
        print("every-record: killed after \(reportedAppended) appends reported, \(written.count) written, \(survivors.count) survived the cut")
    }

    @Test("power cut with fsync every 100 ms: at most the last period's records (and the sync in flight) are lost")
    func powerCutEvery100ms() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        var g = LogTestRandom(seed: UInt64(monotonicNanoseconds()))
        let run = try runWriter([dir.log, "every-100"], runFor: .milliseconds(Int.random(in: 300...900, using: &g)))
        let durable = run.durable
        #expect(durable.count >= 2, "the writer reported \(durable.count) syncs")
        let lastDurable = durable.map(\.sequence).max() ?? 0
        let lastReportAt = durable.map(\.at).max() ?? 0

        let written = try scanWritten(dir.log)
        #expect(isConsecutive(written.map(\.sequence)))
        #expect(UInt64(written.count) >= lastDurable)

        try cutPower(dir.log, after: lastDurable, records: written, using: &g)
        let log = try OfflineLog.open(dir.log, policy: .never, maxBytes: 1 << 30, segmentBytes: 1 << 20)
        let survivors = try log.readAll()
        #expect(UInt64(survivors.count) >= lastDurable, "a record reported durable was lost")
        #expect(isConsecutive(survivors.map(\.sequence)))
        #expect(survivors.allSatisfy { WrittenRecord($0, path: "", end: 0).count == $0.sequence })

        // The bound: the lost records were all appended within one period (plus
        // the sync in flight and scheduling) before the kill.
        let lost = written.filter { $0.sequence > UInt64(survivors.count) }
        let slack: UInt64 = 200_000_000
        if let firstLost = lost.first {
            let window = run.killedAt - min(firstLost.appendedAt, run.killedAt)
            #expect(window <= 100_000_000 + slack, "lost \(lost.count) records spanning \(window / 1_000_000) ms")
        }
        // The flusher really runs at its period: reports no further apart than that (plus slack).
        let gaps = zip(durable, durable.dropFirst()).map { $1.at - $0.at }
        #expect((gaps.max() ?? 0) <= 100_000_000 + slack, "durable reports \((gaps.max() ?? 0) / 1_000_000) ms apart")
        #expect(run.killedAt - lastReportAt <= 100_000_000 + slack)
        let rate = Double(written.count) / (Double(written.last!.appendedAt - written.first!.appendedAt) / 1e9)
        print("every-100ms: \(written.count) written at \(Int(rate))/s, \(lastDurable) reported durable, lost \(lost.count) (\(Int(Double(lost.count) / rate * 1000)) ms worth), longest gap between syncs \((gaps.max() ?? 0) / 1_000_000) ms")
    }

    @Test("kill -9 at a random moment with fsync never: the log as the kernel has it opens cleanly and continues")
    func processCrashNever() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        var g = LogTestRandom(seed: UInt64(monotonicNanoseconds()))
        _ = try runWriter([dir.log, "never"], runFor: .milliseconds(Int.random(in: 100...400, using: &g)))
        let written = try scanWritten(dir.log)
        #expect(written.count > 100)
        let log = try OfflineLog.open(dir.log, policy: .never, maxBytes: 1 << 30, segmentBytes: 1 << 20)
        let survivors = try log.readAll()
        #expect(isConsecutive(survivors.map(\.sequence)) && survivors.count == written.count)
        #expect(try log.append(sampleRecord(0)).sequence == UInt64(written.count) + 1)
    }

    @Test("a full disk is an error naming the file; the log keeps every whole record and no partial one")
    func diskFull() throws {
        let dir = TemporaryDirectory(); defer { dir.remove() }
        let run = try runWriter([dir.log, "every-record", "--fsize-limit", "200000"], runFor: nil)
        let error = run.lines.first { $0.hasPrefix("error ") }
        let total = run.lines.compactMap { $0.hasPrefix("appended-total ") ? Int($0.dropFirst(15)) : nil }.first
        #expect(error?.contains(dir.log + "/seg-") == true, "\(run.lines.suffix(3))")
        #expect(error?.contains("File too large") == true)
        let log = try OfflineLog.open(dir.log, maxBytes: 1 << 30, segmentBytes: 1 << 20)
        #expect(log.snapshot().cutBytes == 0)
        #expect(try log.readAll().count == total)
        #expect(total ?? 0 > 1_000)
        #expect(segmentFiles(dir.log).allSatisfy { fileBytes($0).count <= 200_000 })
    }
}
