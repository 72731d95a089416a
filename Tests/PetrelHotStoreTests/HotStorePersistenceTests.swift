import Foundation
import PetrelKeyExpr
import PetrelTime
import Testing
@testable import PetrelHotStore

/// The hot store survives restarts: rebuilt from its log, within the same quota.
@Suite struct HotStorePersistenceTests {
    private func open(_ dir: TemporaryDirectory, _ mode: HotStore.Mode, clock: ManualClock, hotWindow: Duration? = nil,
                      maxEntries: Int? = nil, maxBytes: Int? = nil, sync: HotStore.SyncPolicy = .never) throws -> HotStore {
        try HotStore.open(directory: dir.path, keyExpr: ke("**"), mode: mode, hotWindow: hotWindow,
                          maxEntries: maxEntries, maxBytes: maxBytes, sync: sync, clock: { clock.now() })
    }

    private func fillMixed(_ s: HotStore) {
        for i in 0..<300 {
            let key = "dev/\(i % 13)/v"
            if i % 17 == 16 {
                s.store(delete(key, at: at(ms: Int64(i * 10))))
            } else {
                s.store(put(key, at: at(ms: Int64(i * 10)), "value \(i)",
                            encoding: .init(id: UInt16(i % 3), schema: i % 5 == 0 ? "s\(i)" : nil),
                            attachment: i % 7 == 0 ? [UInt8(i % 256)] : nil))
            }
        }
        // Replays and late samples: ignored, not logged.
        s.store(put("dev/0/v", at: at(ms: 0), "value 0"))
        s.store(put("dev/1/v", at: at(ms: 5), "late"))
    }

    private func contents(_ s: HotStore) -> [StoredSample] {
        s.query(ke("**")).sorted { ($0.key, $0.timestamp) < ($1.key, $1.timestamp) }
    }

    @Test(arguments: [HotStore.Mode.keyValue, .timeSeries])
    func restartRebuildsTheSameContents(mode: HotStore.Mode) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 10))
        var before: [StoredSample] = []
        var snapBefore: HotStoreSnapshot?
        do {
            let s = try open(dir, mode, clock: clock)
            fillMixed(s)
            before = contents(s)
            snapBefore = s.snapshot()
            s.close()
        }
        #expect(!before.isEmpty)
        let s = try open(dir, mode, clock: clock)
        #expect(contents(s) == before)
        let snap = s.snapshot()
        #expect(snap.entries == snapBefore?.entries)
        #expect(snap.tombstones == snapBefore?.tombstones)
        #expect(snap.bytes == snapBefore?.bytes)
        #expect(snap.persistence?.droppedTailBytes == 0)
        // Deletes still refuse late samples after the restart.
        #expect(s.store(put("dev/15/v", at: at(ms: 0))) != .ignoredOlder) // never deleted
        #expect(s.store(put("dev/3/v", at: at(ms: 1))) == .ignoredOlder)   // deleted at 160 ms
    }

    @Test func restartAppliesTheHotWindowAndQuotaOfNow() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        do {
            let s = try open(dir, .timeSeries, clock: clock, hotWindow: .seconds(100))
            for t in 0...100 as ClosedRange<Int64> { s.store(put("k", at: at(seconds: t), "\(t)")) }
            #expect(s.snapshot().entries == 101)
        }
        clock.set(at(seconds: 150)) // samples before 50 s are out of the window now
        do {
            let s = try open(dir, .timeSeries, clock: clock, hotWindow: .seconds(100))
            #expect(s.query(ke("k")).map(text) == (50...100).map { "\($0)" })
            #expect(s.snapshot().counters.evicted == 0) // the replay is not counted
            #expect(s.snapshot().persistence?.recoveredSamples == 101)
        }
        // Reopened with a smaller quota: the oldest go.
        let s = try open(dir, .timeSeries, clock: clock, hotWindow: .seconds(100), maxEntries: 10)
        #expect(s.query(ke("k")).map(text) == (91...100).map { "\($0)" })
    }

    @Test func aTornTailIsCutOffAndAppendsContinueAfterTheGoodPart() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        do {
            let s = try open(dir, .timeSeries, clock: clock)
            for t in 0..<20 as Range<Int64> { s.store(put("k", at: at(seconds: t), "payload \(t)")) }
        }
        // A crash in the middle of the last append: half a record.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.logPath))
        let full = bytes.count
        bytes.removeLast(10)
        try bytes.write(to: URL(fileURLWithPath: dir.logPath))
        do {
            let s = try open(dir, .timeSeries, clock: clock)
            #expect(s.query(ke("k")).map(text) == (0..<19).map { "payload \($0)" })
            let p = try #require(s.snapshot().persistence)
            #expect(p.droppedTailBytes > 0 && p.droppedTailBytes < full / 10)
            #expect(p.fileBytes == full - 10 - p.droppedTailBytes)
            s.store(put("k", at: at(seconds: 50), "after restart"))
        }
        let s = try open(dir, .timeSeries, clock: clock)
        #expect(s.query(ke("k")).map(text) == (0..<19).map { "payload \($0)" } + ["after restart"])
        #expect(s.snapshot().persistence?.droppedTailBytes == 0)
    }

    @Test func aCorruptRecordEndsTheReplay() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        do {
            let s = try open(dir, .keyValue, clock: clock)
            for i in 0..<10 { s.store(put("k/\(i)", at: at(seconds: Int64(i)), "v\(i)")) }
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.logPath)))
        bytes[bytes.count - 3] ^= 0x40 // a flipped bit in the last record's payload
        try Data(bytes).write(to: URL(fileURLWithPath: dir.logPath))
        let s = try open(dir, .keyValue, clock: clock)
        #expect(Set(s.query(ke("k/*")).map(text)) == Set((0..<9).map { "v\($0)" }))
        #expect(s.snapshot().persistence?.droppedTailBytes ?? 0 > 0)
    }

    @Test func garbageAfterTheHeaderOrAShortHeaderIsSurvived() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        // Torn while the header was written.
        try Data(HotStoreLog.header.prefix(3)).write(to: URL(fileURLWithPath: dir.logPath))
        do {
            let s = try open(dir, .keyValue, clock: clock)
            #expect(s.query(ke("**")).isEmpty)
            s.store(put("a", at: at(seconds: 1), "x"))
        }
        // Random bytes appended (a bad sector, a stray writer).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.logPath))
        handle.seekToEndOfFile()
        handle.write(Data((0..<1000).map { _ in UInt8.random(in: 0...255) }))
        handle.closeFile()
        let s = try open(dir, .keyValue, clock: clock)
        #expect(s.query(ke("**")).map(text) == ["x"])
    }

    @Test func aForeignFileIsLeftAlone() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let foreign = Data("not a hot store, but someone's notes\n".utf8)
        try foreign.write(to: URL(fileURLWithPath: dir.logPath))
        let clock = ManualClock(at(seconds: 100))
        #expect(throws: HotStoreError(.notAHotStoreLog, path: dir.logPath)) { try open(dir, .keyValue, clock: clock) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.logPath)) == foreign)
    }

    @Test func theLogIsCompactedWhenItPassesTwiceTheLiveBytes() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        do {
            let s = try open(dir, .keyValue, clock: clock)
            for i in 0..<20_000 {
                s.store(put("k/\(i % 50)", at: at(ms: Int64(i)), String(repeating: "v", count: 20) + "\(i)"))
                if let p = s.snapshot().persistence {
                    #expect(p.fileBytes <= max(2 * (s.snapshot().bytes + 8), HotStoreState.minimumCompactionBytes) + 200)
                }
            }
            let snap = s.snapshot()
            #expect((snap.persistence?.compactions ?? 0) > 5)
            #expect(snap.persistence?.errors == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.logPath + ".compact"))
        let s = try open(dir, .keyValue, clock: clock)
        #expect(Set(s.query(ke("k/*")).map(text)) == Set((19_950..<20_000).map { String(repeating: "v", count: 20) + "\($0)" }))
        // An explicit compaction leaves exactly the live records.
        try s.compact()
        #expect(s.snapshot().persistence?.fileBytes == s.snapshot().bytes + HotStoreLog.header.count)
    }

    @Test func syncEveryRecordWorks() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        do {
            let s = try open(dir, .timeSeries, clock: clock, sync: .everyRecord)
            for t in 0..<10 as Range<Int64> { s.store(put("k", at: at(seconds: t), "\(t)")) }
            try s.sync()
            try s.compact()
        }
        let s = try open(dir, .timeSeries, clock: clock)
        #expect(s.query(ke("k")).count == 10)
    }

    @Test func aClosedStoreKeepsWorkingInMemoryAndCountsTheFailures() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let clock = ManualClock(at(seconds: 100))
        let s = try open(dir, .keyValue, clock: clock)
        s.close()
        #expect(s.store(put("a", at: at(seconds: 1), "x")) == .stored)
        #expect(s.query(ke("a")).map(text) == ["x"])
        #expect(s.snapshot().persistence?.errors == 1)
        #expect(throws: HotStoreError.self) { try s.sync() }
    }
}
