// Appends records to an offline log as fast as it can and reports, on stdout,
// what it knows to be stored, so that a test can kill it (SIGKILL, at a random
// moment) and check the reopened log against the reports:
//
//   started                              the log is open, appends begin
//   durable <sequence> <monotonic ns>    everything through <sequence> is on disk
//   appended <sequence>                  (every-record only) append returned
//   error <description>                  append failed; the writer exits 3
//
// Usage: log-crash-writer <directory> every-record|every-<ms>|never [--fsize-limit <bytes>]
//
// Each record's payload holds its sequence and the monotonic time of its
// append (little-endian u64s), padded to 100 bytes. With --fsize-limit the
// process may not grow a file past that size (RLIMIT_FSIZE): writes then fail
// like on a full disk.
#if canImport(Glibc)
import Glibc
#endif
import PetrelStorage
import PetrelTime

func say(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

func monotonicNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    say("usage: log-crash-writer <directory> every-record|every-<ms>|never [--fsize-limit <bytes>]")
    exit(2)
}
let policy: FsyncPolicy
switch arguments[2] {
case "every-record": policy = .everyRecord
case "never": policy = .never
case let text where text.hasPrefix("every-"):
    guard let ms = Int(text.dropFirst(6)) else { say("bad policy \(text)"); exit(2) }
    policy = .every(milliseconds: ms)
default:
    say("bad policy \(arguments[2])")
    exit(2)
}
if arguments.count >= 5, arguments[3] == "--fsize-limit", let limit = UInt(arguments[4]) {
    signal(SIGXFSZ, SIG_IGN)
    var rl = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &rl)
}

let log: OfflineLog
do {
    log = try OfflineLog(
        directory: arguments[1], policy: policy, maxBytes: 1 << 30, maxAge: .seconds(86_400),
        segmentBytes: 1 << 20,
        onDurable: { through in say("durable \(through) \(monotonicNow())") })
} catch {
    say("error \(error)")
    exit(3)
}

say("started")
let id = ZenohID(high: 0, low: 0x5EED)!
let reportAppends = policy == .everyRecord
var count: UInt64 = 0
while true {
    count += 1
    var payload = [UInt8](repeating: 0xAB, count: 100)
    let now = monotonicNow()
    for i in 0..<8 {
        payload[i] = UInt8(truncatingIfNeeded: count >> (UInt64(i) * 8))
        payload[8 + i] = UInt8(truncatingIfNeeded: now >> (UInt64(i) * 8))
    }
    let record = OfflineRecord(key: "crash/writer", payload: payload,
                               timestamp: Timestamp(time: SystemClock().now(), id: id))
    do {
        let outcome = try log.append(record)
        if reportAppends, let sequence = outcome.sequence { say("appended \(sequence)") }
    } catch {
        say("error \(error)")
        say("appended-total \(count - 1)")
        exit(3)
    }
}
