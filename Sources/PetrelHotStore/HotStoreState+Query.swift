import PetrelKeyExpr
import PetrelTime

extension HotStoreState {
    /// The samples under `key` (tombstones excluded), latest per key
    /// (key-value) or all in timestamp order (time series), limited to `range`.
    mutating func query(_ key: KeyExpr, range: ResolvedTimeRange?, now: NTP64) -> [StoredSample] {
        enforceLimits(now: now)
        counters.queries += 1
        var matches: [Int32] = []
        if !key.isWild {
            if let r = index[key.string] { matches.append(r) }
        } else if key.includes(keyExpr) {
            // Everything the store can hold matches (`**`): no need to walk the tree.
            matches.reserveCapacity(index.count)
            for r in records.indices where records[r].isLive { matches.append(Int32(r)) }
        } else if keyExpr.intersects(key) {
            tree.forEachIntersecting(key) { matches.append($0) }
        }
        counters.keysVisited += matches.count
        var out: [StoredSample] = []
        switch mode {
        case .keyValue:
            out.reserveCapacity(matches.count)
            for r in matches {
                guard let e = records[Int(r)].latest, e.kind == .put else { continue }
                if let range, !range.contains(e.time) { continue }
                // The arena is the payload itself: shared, not copied.
                out.append(e.sample(key: records[Int(r)].key, payload: records[Int(r)].arena))
            }
            counters.entriesVisited += matches.count
        case .timeSeries:
            // Where each matching key's samples in range are.
            var spans: [(record: Int32, range: Range<Int>)] = []
            var total = 0
            for r in matches {
                var lo = Int(records[Int(r)].head), hi = records[Int(r)].series.count
                if let range {
                    // Ranges are mostly about recent samples: search from the end.
                    if range.start != .unbounded {
                        lo = Self.firstIndexSearchingFromEnd(in: records[Int(r)].series, from: lo) {
                            !range.isBeforeStart(WallTime($0.time))
                        }
                    }
                    if range.end != .unbounded {
                        hi = Self.firstIndexSearchingFromEnd(in: records[Int(r)].series, from: lo) {
                            range.isAfterEnd(WallTime($0.time))
                        }
                    }
                }
                if lo < hi {
                    spans.append((r, lo..<hi))
                    total += hi - lo
                }
            }
            counters.entriesVisited += total
            out.reserveCapacity(total)
            if spans.count == 1 {
                let rec = records[Int(spans[0].record)]
                for e in rec.series[spans[0].range] where e.kind == .put {
                    out.append(e.sample(key: rec.key, payload: Array(rec.arena[e.payloadRange])))
                }
            } else if spans.count > 1 {
                // Merge by timestamp (ties by key): sort small references, then build the samples.
                var refs: [(time: UInt64, id: ZenohID, record: Int32, index: Int32)] = []
                refs.reserveCapacity(total)
                for (r, span) in spans {
                    for i in span where records[Int(r)].series[i].kind == .put {
                        let e = records[Int(r)].series[i]
                        refs.append((e.time.rawValue, e.id, r, Int32(i)))
                    }
                }
                refs.sort { a, b in
                    if a.time != b.time { return a.time < b.time }
                    if a.id != b.id { return a.id < b.id }
                    return records[Int(a.record)].key < records[Int(b.record)].key
                }
                for ref in refs {
                    let r = Int(ref.record)
                    let e = records[r].series[Int(ref.index)]
                    out.append(e.sample(key: records[r].key, payload: Array(records[r].arena[e.payloadRange])))
                }
            }
        }
        return out
    }
}
