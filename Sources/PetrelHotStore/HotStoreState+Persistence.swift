import PetrelTime

extension HotStoreState {
    /// Every live entry with its key, oldest first.
    private func liveEntriesInTimeOrder() -> [(time: UInt64, record: Int32, index: Int32)] {
        var all: [(time: UInt64, record: Int32, index: Int32)] = []
        all.reserveCapacity(entryCount)
        for (r, rec) in records.enumerated() where rec.isLive {
            if let e = rec.latest { all.append((e.time.rawValue, Int32(r), -1)) }
            for i in Int(rec.head)..<rec.series.count { all.append((rec.series[i].time.rawValue, Int32(r), Int32(i))) }
        }
        all.sort { $0.time < $1.time }
        return all
    }

    mutating func compactIfNeeded() {
        guard let log else { return }
        let live = bytes + HotStoreLog.header.count
        if log.fileBytes > 2 * live && log.fileBytes > Self.minimumCompactionBytes {
            do throws(HotStoreError) {
                try compact()
            } catch {
                persistence.errors += 1
                persistence.lastError = error
            }
        }
    }

    /// Rewrites the log with the live entries only, oldest first.
    mutating func compact() throws(HotStoreError) {
        guard log != nil else { return }
        var out = try log!.beginRewrite()
        let chunkSize = 256 * 1024
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkSize + 4096)
        do throws(HotStoreError) {
            for (_, r, i) in liveEntriesInTimeOrder() {
                let rec = records[Int(r)]
                let e = i < 0 ? rec.latest! : rec.series[Int(i)]
                e.encodeRecord(key: rec.key, arena: rec.arena, into: &chunk)
                if chunk.count >= chunkSize {
                    try out.append(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try out.append(chunk)
            try log!.finishRewrite(with: &out)
        } catch {
            out.abandonRewrite()
            throw error
        }
        persistence.compactions += 1
    }
}
