import PetrelSystem
// The acknowledged cursor: the highest sequence replay has sent upstream and
// seen acknowledged. 16 bytes, replaced atomically (write a temporary, sync it,
// rename over the old one, sync the directory), so a crash leaves either the
// old or the new value, never a mix:
//
//   0...3   "PLC1"
//   4...11  u64 acknowledged-through sequence (little-endian)
//   12...15 u32 CRC-32C of bytes 0...11

/// Reads and writes the cursor file of a log directory.
enum CursorFile {
    static let name = "cursor"
    static let temporaryName = "cursor.tmp"
    private static let magic: [UInt8] = Array("PLC1".utf8)

    /// The stored cursor; 0 when the file is missing, short or fails its checksum
    /// (replay then starts from the oldest record kept: at-least-once).
    static func read(directory: String) -> UInt64 {
        guard let file = try? SystemFile(readingAt: directory + "/" + name) else { return 0 }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard let n = try? file.read(into: &bytes, at: 0, count: 16, offset: 0), n == 16,
              Array(bytes[0..<4]) == magic,
              RecordFrame.readLittleEndian(UInt32.self, bytes, at: 12) == CRC32C.checksum(bytes[0..<12])
        else { return 0 }
        return RecordFrame.readLittleEndian(UInt64.self, bytes, at: 4)
    }

    /// Replaces the stored cursor with `value`; durable on return when `sync`.
    static func write(_ value: UInt64, directory: String, sync: Bool) throws(OfflineLogError) {
        var bytes = magic
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8))) }
        let crc = CRC32C.checksum(bytes)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: crc >> (UInt32(i) * 8))) }
        let temporary = directory + "/" + temporaryName
        try systemCall { () throws(SystemCallError) in
            do {
                let file = try SystemFile(path: temporary, create: true)
                try file.truncate(to: 0)
                try file.write(bytes, at: 0)
                if sync { try file.sync() }
            }
            try Directory.rename(temporary, to: directory + "/" + name)
            if sync { try Directory.sync(directory) }
        }
    }
}
