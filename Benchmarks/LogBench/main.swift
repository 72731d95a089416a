// Appends per second to the offline log for each fsync policy, and the rate at
// which a replay reads it back. Run: swift run -c release log-bench [directory] [seconds]
//
// Records carry a 128-byte payload (a 187-byte frame with the key, timestamp,
// encoding, header and checksum). Every-record runs with 1 and with 8 writer threads: the second
// shows group commit (8 appenders share each fsync).
#if canImport(Glibc)
import Glibc
#endif
import PetrelStorage
import PetrelSystem
import PetrelTime
import Synchronization

let arguments = CommandLine.arguments
let base = arguments.count > 1 ? arguments[1] : "/tmp/petrel-log-bench-\(getpid())"
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 2 : 2

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func removeTree(_ path: String) {
    // Segment files and the cursor only: the bench makes nothing else.
    for name in (try? Directory.entries(path)) ?? [] { try? Directory.remove(path + "/" + name) }
    rmdir(path)
}

/// Runs `body(i)` on `count` threads at once and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { i in try! SystemThread(name: "log-bench") { body(i) } }
    for t in threads { t.join() }
}

let id = ZenohID(high: 0, low: 0xBE7C)!
let clock = HybridLogicalClock(id: id)
func record(_ i: Int) -> OfflineRecord {
    var payload = [UInt8](repeating: 0x5A, count: 128)
    payload[0] = UInt8(truncatingIfNeeded: i)
    return OfflineRecord(key: "bench/sensor/temperature", payload: payload, encodingID: 5,
                         timestamp: clock.newTimestamp())
}

struct Row {
    var name: String
    var writers: Int
    var appends: Int
    var elapsed: Double
    var syncs: UInt64
    var rate: Double { Double(appends) / elapsed }
}

func appendRun(_ name: String, policy: FsyncPolicy, writers: Int) throws -> Row {
    let dir = base + "/" + name.replacingSpaces()
    removeTree(dir)
    let log = try OfflineLog(directory: dir, policy: policy, maxBytes: 4 << 30, maxAge: .seconds(86_400))
    let counts = Mutex([Int](repeating: 0, count: writers))
    let start = now()
    let deadline = start + seconds
    onThreads(writers) { w in
        var n = 0
        var i = 0
        while true {
            // Check the clock every 64 appends: cheap enough for the fast policies.
            if i & 63 == 0 && now() >= deadline { break }
            _ = try? log.append(record(i))
            n += 1
            i += 1
        }
        counts.withLock { $0[w] = n }
    }
    let elapsed = now() - start
    try log.close()
    let snapshot = log.snapshot()
    removeTree(dir)
    return Row(name: name, writers: writers, appends: counts.withLock { $0.reduce(0, +) }, elapsed: elapsed,
               syncs: snapshot.syncs)
}

extension String {
    func replacingSpaces() -> String { String(map { $0 == " " || $0 == "(" || $0 == ")" ? "-" : $0 }) }
}

try? Directory.create(base)
print("offline log benchmark: 128-byte payloads (187-byte records on disk), \(seconds) s per run, directory \(base)")
var rows: [Row] = []
do {
    rows.append(try appendRun("never", policy: .never, writers: 1))
    rows.append(try appendRun("every 100 ms", policy: .every(milliseconds: 100), writers: 1))
    rows.append(try appendRun("every 10 ms", policy: .every(milliseconds: 10), writers: 1))
    rows.append(try appendRun("every record", policy: .everyRecord, writers: 1))
    rows.append(try appendRun("every record", policy: .everyRecord, writers: 8))
    rows.append(try appendRun("every record", policy: .everyRecord, writers: 32))
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }

print("")
print(pad("fsync policy", 16) + lpad("writers", 8) + lpad("appends", 10) + lpad("appends/s", 12) + lpad("fsyncs", 9) + lpad("appends/fsync", 15))
for r in rows {
    let perSync = r.syncs > 0 ? String(Int((Double(r.appends) / Double(r.syncs)).rounded())) : "-"
    print(pad(r.name, 16) + lpad("\(r.writers)", 8) + lpad("\(r.appends)", 10) + lpad("\(Int(r.rate))", 12)
          + lpad("\(r.syncs)", 9) + lpad(perSync, 15))
}

// Replay: fill a log, then read it back in batches (what replay does), then
// recover it (open scans and checks every record), then replay with cursor
// persistence (acknowledge per batch, synced).
do {
    let dir = base + "/replay"
    removeTree(dir)
    let total = 500_000
    do {
        let log = try OfflineLog(directory: dir, policy: .never, maxBytes: 4 << 30, maxAge: .seconds(86_400))
        for i in 0..<total { _ = try log.append(record(i)) }
        try log.close()
    }
    var start = now()
    let log = try OfflineLog(directory: dir, policy: .everyRecord, maxBytes: 4 << 30, maxAge: .seconds(86_400))
    let openTime = now() - start
    let bytes = log.snapshot().bytes

    start = now()
    var cursor: UInt64 = 0
    var read = 0
    while true {
        let batch = try log.readBatch(after: cursor, max: 1_000)
        guard let last = batch.last else { break }
        read += batch.count
        cursor = last.sequence
    }
    let readTime = now() - start

    start = now()
    let replayer = OfflineReplayer(log: log, batchSize: 1_000, recordsPerSecond: nil)
    let sent = try await replayer.run { (_: [OfflineRecord]) async throws(OfflineLogError) in }
    let replayTime = now() - start
    try log.close()
    removeTree(dir)

    print("")
    print("replay of \(total) records (\(bytes / 1_048_576) MiB):")
    print("  open + recover (scan, check every CRC): \(Int(Double(total) / openTime)) records/s (\(Int(Double(bytes) / openTime / 1_048_576)) MiB/s, \(Int(openTime * 1000)) ms)")
    print("  readBatch(1000), decode:                \(Int(Double(read) / readTime)) records/s")
    print("  replayer: read, sort, acknowledge (cursor fsync per 1000): \(Int(Double(sent) / replayTime)) records/s")
} catch {
    print("replay benchmark failed: \(error)")
    exit(1)
}
rmdir(base)
