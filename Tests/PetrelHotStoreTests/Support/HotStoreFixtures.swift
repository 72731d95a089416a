import Foundation
import PetrelKeyExpr
import PetrelTime
@testable import PetrelHotStore

/// 2023-11-14T22:13:20Z: the start of the test clocks.
let baseTime = NTP64(seconds: 1_700_000_000, nanoseconds: 0)
let sourceA = ZenohID(high: 0, low: 0xA)!
let sourceB = ZenohID(high: 0, low: 0xB)!

/// `baseTime` plus `ms` milliseconds (exact at nanosecond resolution).
func at(ms: Int64) -> NTP64 {
    NTP64(rawValue: baseTime.rawValue + NTP64(duration: .milliseconds(ms)).rawValue)
}

func at(seconds: Int64) -> NTP64 { at(ms: seconds * 1000) }

func put(_ key: String, at time: NTP64, _ payload: String = "", id: ZenohID = sourceA,
         encoding: StoredSample.Encoding = .bytes, attachment: [UInt8]? = nil) -> StoredSample {
    StoredSample(key: key, kind: .put, payload: Array(payload.utf8), encoding: encoding,
                 timestamp: Timestamp(time: time, id: id), attachment: attachment)
}

func delete(_ key: String, at time: NTP64, id: ZenohID = sourceA) -> StoredSample {
    StoredSample(key: key, kind: .delete, timestamp: Timestamp(time: time, id: id))
}

func ke(_ s: String) -> KeyExpr {
    do { return try KeyExpr(s) } catch { fatalError("bad test key expression \(s): \(error)") }
}

func text(_ s: StoredSample) -> String { String(decoding: s.payload, as: UTF8.self) }

/// A hot store on a manual clock.
struct ClockedStore {
    let clock: ManualClock
    let store: HotStore

    init(_ mode: HotStore.Mode, keyExpr: String = "**", hotWindow: Duration? = nil, maxEntries: Int? = nil,
         maxBytes: Int? = nil, now: NTP64 = baseTime) {
        let clock = ManualClock(now)
        self.clock = clock
        store = HotStore(keyExpr: ke(keyExpr), mode: mode, hotWindow: hotWindow, maxEntries: maxEntries,
                         maxBytes: maxBytes, clock: { clock.now() })
    }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("petrel-hotstore-\(UUID().uuidString)").path
    }

    var logPath: String { path + "/" + HotStoreLog.fileName }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
