// store-bench: the hot store's get latency (1,000 and 100,000 entries), store
// rate, memory per 100,000 hot entries, and persistence costs.
//
// Run: swift run -c release store-bench
//      store-bench --profile kv|ts   (5 s of one wildcard query, for `perf record`)
import CHeapStats
import PetrelHotStore
import PetrelKeyExpr
import PetrelTime
#if canImport(Glibc)
import Glibc
#endif

let base = NTP64(seconds: 1_700_000_000, nanoseconds: 0)
let source = ZenohID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)!
let payload16 = Array("21.5 C sensor ok".utf8) // 16 bytes

func time(ms: Int) -> NTP64 { NTP64(rawValue: base.rawValue + NTP64.duration(milliseconds: UInt64(ms))) }

func keyExpr(_ s: String) -> KeyExpr {
    do { return try KeyExpr(s) } catch { fatalError("\(error)") }
}

func kvKey(_ i: Int) -> String { "site/\(i % 100)/sensor/\(i)" }
func tsKey(_ k: Int) -> String { "site/\(k)/temp" }

nonisolated(unsafe) var sink = 0 // keeps results alive; single-threaded

/// Microseconds per call of `body`: the median of 7 rounds of `iterations` calls.
func microseconds(_ iterations: Int, _ body: (Int) -> Void) -> Double {
    for i in 0..<min(iterations, 100) { body(i) } // warm up
    let clock = ContinuousClock()
    var rounds: [Double] = []
    for _ in 0..<7 {
        let start = clock.now
        for i in 0..<iterations { body(i) }
        let d = clock.now - start
        let (s, atto) = d.components
        rounds.append((Double(s) * 1e6 + Double(atto) / 1e12) / Double(iterations))
    }
    return rounds.sorted()[rounds.count / 2]
}

func seconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    body()
    let (s, atto) = (clock.now - start).components
    return Double(s) + Double(atto) / 1e18
}

func fmt(_ v: Double, _ decimals: Int = 2) -> String {
    if decimals == 0 { return String(Int(v.rounded())) }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (v * p).rounded() / p
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if have < decimals { s += String(repeating: "0", count: decimals - have) }
    }
    return s
}

// MARK: key-value

func benchKeyValue(entries n: Int) {
    let clock = ManualClock(time(ms: 2 * n))
    let store = HotStore(keyExpr: keyExpr("site/**"), mode: .keyValue, clock: { clock.now() })
    let insert = seconds {
        for i in 0..<n { sink &+= store.store(StoredSample(key: kvKey(i), payload: payload16, timestamp: Timestamp(time: time(ms: i), id: source))) == .stored ? 1 : 0 }
    }
    let keys = (0..<n).map(kvKey) // prebuilt, so updates time the store only
    let update = seconds {
        for i in 0..<n { sink &+= store.store(StoredSample(key: keys[i], payload: payload16, timestamp: Timestamp(time: time(ms: n + i), id: source))) == .replaced ? 1 : 0 }
    }
    var rng = SystemRandomNumberGenerator()
    let probes = (0..<1000).map { _ in keyExpr(kvKey(Int.random(in: 0..<n, using: &rng))) }
    let specific = microseconds(20_000) { i in sink &+= store.query(probes[i % probes.count]).count }
    let wild = keyExpr(n == 1000 ? "**" : "site/7/**")
    let results = store.query(wild).count
    let wildcard = microseconds(200) { _ in sink &+= store.query(wild).count }
    print("| key-value | \(n) | \(fmt(specific)) | \(fmt(wildcard, 1)) (`\(wild)`, \(results) results) | \(fmt(Double(n) / insert / 1000, 0))k new keys/s, \(fmt(Double(n) / update / 1000, 0))k updates/s |")
}

// MARK: time series

func benchTimeSeries(entries n: Int) {
    let keyCount = 10
    let clock = ManualClock(time(ms: n - 1))
    let store = HotStore(keyExpr: keyExpr("site/**"), mode: .timeSeries, clock: { clock.now() })
    let keys = (0..<keyCount).map(tsKey)
    let append = seconds {
        for i in 0..<n { sink &+= store.store(StoredSample(key: keys[i % keyCount], payload: payload16, timestamp: Timestamp(time: time(ms: i), id: source))) == .stored ? 1 : 0 }
    }
    // The last 10 samples of one key (one per 10 ms), and 1,000 samples over all keys.
    let one = keyExpr(tsKey(3))
    let recent = try! TimeRange.parse("[now(-100ms)..]")
    let specificResults = store.query(one, timeRange: recent).count
    let specific = microseconds(20_000) { _ in sink &+= store.query(one, timeRange: recent).count }
    let all = keyExpr("**")
    let last1000 = try! TimeRange.parse(n == 1000 ? "[..]" : "]now(-1s)..]")
    let results = store.query(all, timeRange: last1000).count
    let wildcard = microseconds(200) { _ in sink &+= store.query(all, timeRange: last1000).count }
    print("| time series | \(n) | \(fmt(specific)) (`\(one)` `_time=[now(-100ms)..]`, \(specificResults) results) | \(fmt(wildcard, 1)) (`**` `_time=\(last1000)`, \(results) results) | \(fmt(Double(n) / append / 1000, 0))k appends/s |")
}

// MARK: memory

func memory(_ title: String, entries n: Int, mode: HotStore.Mode, keys: Int) {
    let clock = ManualClock(time(ms: n))
    let heapBefore = petrel_heap_bytes_in_use()
    // Key strings are counted: the store keeps the sample's key string.
    let keyNames = (0..<keys).map { mode == .keyValue ? kvKey($0) : tsKey($0) }
    var store: HotStore? = HotStore(keyExpr: keyExpr("site/**"), mode: mode, clock: { clock.now() })
    for i in 0..<n {
        // A payload buffer per sample, as samples decoded off the network have.
        let payload = payload16.map { $0 }
        store!.store(StoredSample(key: keyNames[i % keys], payload: payload, timestamp: Timestamp(time: time(ms: i), id: source)))
    }
    let heapAfter = petrel_heap_bytes_in_use()
    let snap = store!.snapshot()
    precondition(snap.entries == n)
    let heapPer = Double(heapAfter - heapBefore) / Double(n)
    print("| \(title) | \(n) entries, \(keys) keys | \(fmt(heapPer, 0)) B | \(fmt(heapPer * Double(n) / 1_048_576, 1)) MiB | \(fmt(Double(snap.bytes) / Double(n), 0)) B |")
    store = nil
}

// MARK: persistence

func persistence(entries n: Int) {
    let dir = "/tmp/store-bench-\(getpid())"
    let clock = ManualClock(time(ms: n))
    let keys = (0..<100).map(tsKey)
    var write = 0.0
    var fileBytes = 0
    do {
        let store = try! HotStore.open(directory: dir, keyExpr: keyExpr("site/**"), mode: .timeSeries, clock: { clock.now() })
        write = seconds {
            for i in 0..<n { store.store(StoredSample(key: keys[i % 100], payload: payload16, timestamp: Timestamp(time: time(ms: i), id: source))) }
        }
        fileBytes = store.snapshot().persistence?.fileBytes ?? 0
    }
    var reopened = 0
    let reopen = seconds {
        let store = try! HotStore.open(directory: dir, keyExpr: keyExpr("site/**"), mode: .timeSeries, clock: { clock.now() })
        reopened = store.snapshot().entries
    }
    precondition(reopened == n)
    // Key-value overwrites: the log is compacted as it passes twice the live bytes.
    var overwrite = 0.0
    var compactions = 0
    do {
        let kvDir = dir + "-kv"
        let store = try! HotStore.open(directory: kvDir, keyExpr: keyExpr("site/**"), mode: .keyValue, clock: { clock.now() })
        let kvKeys = (0..<1000).map(kvKey)
        overwrite = seconds {
            for i in 0..<n { store.store(StoredSample(key: kvKeys[i % 1000], payload: payload16, timestamp: Timestamp(time: time(ms: i), id: source))) }
        }
        compactions = store.snapshot().persistence?.compactions ?? 0
        store.close()
        _ = unlink(kvDir + "/hotstore.log")
        _ = rmdir(kvDir)
    }
    _ = unlink(dir + "/hotstore.log")
    _ = rmdir(dir)
    print("- persistent time series, \(n) appends (no fsync): \(fmt(Double(n) / write / 1000, 0))k samples/s, log \(fileBytes) bytes (\(fmt(Double(fileBytes) / Double(n), 1)) B/entry)")
    print("- reopen (rebuild \(n) entries from the log): \(fmt(reopen * 1000, 1)) ms")
    print("- persistent key-value, \(n) overwrites of 1,000 keys: \(fmt(Double(n) / overwrite / 1000, 0))k samples/s, \(compactions) compactions")
}

if CommandLine.arguments.dropFirst().first == "--profile" {
    // A long loop of one query kind, for `perf record`.
    let what = CommandLine.arguments.dropFirst(2).first ?? "kv"
    let n = 100_000
    let mode: HotStore.Mode = what == "kv" ? .keyValue : .timeSeries
    let clock = ManualClock(time(ms: n - 1))
    let store = HotStore(keyExpr: keyExpr("site/**"), mode: mode, clock: { clock.now() })
    for i in 0..<n {
        let key = mode == .keyValue ? kvKey(i) : tsKey(i % 10)
        store.store(StoredSample(key: key, payload: payload16, timestamp: Timestamp(time: time(ms: i), id: source)))
    }
    let q = keyExpr(mode == .keyValue ? "site/7/**" : "**")
    let range = mode == .keyValue ? nil : try! TimeRange.parse("]now(-1s)..]")
    let clockNow = ContinuousClock()
    let start = clockNow.now
    var count = 0
    while clockNow.now - start < .seconds(5) {
        for _ in 0..<100 { sink &+= store.query(q, timeRange: range).count }
        count += 100
    }
    print("\(count) queries")
    exit(0)
}

print("## get latency (µs per get, median of 7 rounds) and store rate")
print("| mode | entries | specific key | wildcard, 1,000 results | store() |")
print("|---|---|---|---|---|")
for n in [1_000, 100_000] { benchKeyValue(entries: n) }
for n in [1_000, 100_000] { benchTimeSeries(entries: n) }
print("")
print("## memory per hot entry (16-byte payload, 16-byte zenoh id)")
print("| store | size | heap per entry (mallinfo2) | heap per 100,000 | quota bytes per entry (record size) |")
print("|---|---|---|---|---|")
memory("key-value, `site/<s>/sensor/<i>` keys", entries: 100_000, mode: .keyValue, keys: 100_000)
memory("time series", entries: 100_000, mode: .timeSeries, keys: 100)
print("")
print("## persistence")
persistence(entries: 100_000)
if sink == 42 { print("") }
