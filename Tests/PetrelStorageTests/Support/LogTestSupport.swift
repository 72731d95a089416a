import Foundation
import PetrelTime
@testable import PetrelStorage

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "offline-log") {
        path = NSTemporaryDirectory() + "petrel-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The log directory inside it.
    var log: String { path + "/log" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Segment files of a log directory, oldest first.
func segmentFiles(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasPrefix("seg-") && $0.hasSuffix(".log") }
        .sorted()
        .map { directory + "/" + $0 }
}

func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Copies a directory's files into a new directory `to` (replacing it).
func copyDirectory(_ from: String, to: String) {
    try? FileManager.default.removeItem(atPath: to)
    try! FileManager.default.copyItem(atPath: from, toPath: to)
}

/// A deterministic generator (SplitMix64) so failures reproduce.
struct LogTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let testClockID = ZenohID(high: 0, low: 0xC0FFEE)!

/// A record whose payload names its index, stamped `time` (NTP64 seconds).
func sampleRecord(_ i: Int, seconds: UInt64 = 1_000_000, payloadBytes: Int = 32) -> OfflineRecord {
    var payload = Array("sample-\(i)-".utf8)
    while payload.count < payloadBytes { payload.append(UInt8(truncatingIfNeeded: i &+ payload.count)) }
    return OfflineRecord(
        key: "sensors/\(i % 7)/temperature", payload: payload, encodingID: 5,
        timestamp: Timestamp(time: NTP64(rawValue: (seconds << 32) | UInt64(i)), id: testClockID))
}

extension OfflineRecord {
    /// Random in every field, for codec round trips.
    static func random<G: RandomNumberGenerator>(using g: inout G) -> OfflineRecord {
        func bytes(_ max: Int) -> [UInt8] {
            (0..<Int.random(in: 0...max, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        }
        let keyChars = Array("abcxyz/*é日0123-_".unicodeScalars)
        let key = String(String.UnicodeScalarView((0..<Int.random(in: 1...40, using: &g)).map { _ in
            keyChars.randomElement(using: &g)!
        }))
        let big = Int.random(in: 0..<10, using: &g) == 0
        return OfflineRecord(
            sequence: 0, key: key, payload: bytes(big ? 20_000 : 200),
            encodingID: UInt16.random(in: 0...UInt16.max, using: &g),
            encodingSchema: Bool.random(using: &g) ? String(key.reversed()) : nil,
            timestamp: Timestamp(time: NTP64(rawValue: UInt64.random(in: 0...UInt64.max, using: &g)),
                                 id: Bool.random(using: &g) ? ZenohID.random(using: &g)
                                     : ZenohID(high: 0, low: UInt64.random(in: 1...255, using: &g))!),
            attachment: Bool.random(using: &g) ? bytes(64) : nil,
            kind: Bool.random(using: &g) ? .put : .delete)
    }

    /// The same record as stored under `sequence`.
    func stored(as sequence: UInt64) -> OfflineRecord {
        var r = self
        r.sequence = sequence
        return r
    }
}

extension OfflineLog {
    /// Opens a log with test-friendly defaults.
    static func open(
        _ directory: String, policy: FsyncPolicy = .never, maxBytes: Int = 64 << 20,
        maxAge: Duration = .seconds(1_000_000_000), whenFull: FullPolicy = .dropOldest,
        segmentBytes: Int = 4 << 20, clock: @escaping @Sendable () -> NTP64 = { NTP64(rawValue: 1_000_000 << 32) }
    ) throws(OfflineLogError) -> OfflineLog {
        try OfflineLog(directory: directory, policy: policy, maxBytes: maxBytes, maxAge: maxAge,
                       whenFull: whenFull, segmentBytes: segmentBytes, clock: clock)
    }

    /// Every record after `cursor`, in sequence order.
    func readAll(after cursor: UInt64 = 0) throws(OfflineLogError) -> [OfflineRecord] {
        try readBatch(after: cursor, max: Int.max)
    }
}

/// Runs `body(i)` for i in 0..<count on that many threads at once, and waits.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(i)
            group.leave()
        }
    }
    group.wait()
}
