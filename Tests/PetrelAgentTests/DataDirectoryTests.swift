import Foundation
import Testing
import PetrelAgent

@Suite("Data directory")
struct DataDirectoryTests {
    @Test("PETREL_DATA_DIR, then systemd's STATE_DIRECTORY, then root's /var/lib/petrel, then the user's XDG data dir")
    func defaultPathOrder() {
        #expect(DataDirectory.defaultPath(environment: ["PETREL_DATA_DIR": "/srv/petrel", "STATE_DIRECTORY": "/var/lib/x"], isRoot: true) == "/srv/petrel")
        #expect(DataDirectory.defaultPath(environment: ["STATE_DIRECTORY": "/var/lib/petrel:/var/lib/other"], isRoot: false) == "/var/lib/petrel")
        #expect(DataDirectory.defaultPath(environment: ["XDG_DATA_HOME": "/home/pi/.data", "HOME": "/home/pi"], isRoot: false) == "/home/pi/.data/petrel")
        #expect(DataDirectory.defaultPath(environment: ["HOME": "/home/pi"], isRoot: false) == "/home/pi/.local/share/petrel")
        // A relative XDG_DATA_HOME is invalid per the spec and ignored.
        #expect(DataDirectory.defaultPath(environment: ["XDG_DATA_HOME": "data", "HOME": "/home/pi"], isRoot: false) == "/home/pi/.local/share/petrel")
        let rootChoice = DataDirectory.defaultPath(environment: ["HOME": "/root"], isRoot: true)
        let varLibWritable = FileManager.default.isWritableFile(atPath: "/var/lib")
        #expect(rootChoice == (varLibWritable ? "/var/lib/petrel" : "/root/.local/share/petrel"))
    }

    @Test("prepare creates the directory with its parents, and refuses a file in the way")
    func prepare() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h7-dd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = base + "/a/b/petrel"
        #expect(try DataDirectory.prepare(dir) == dir)
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue)
        let mode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(mode == 0o750)
        #expect(try DataDirectory.prepare(dir) == dir) // idempotent

        let file = base + "/file"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        let e = #expect(throws: DataDirectoryError.self) { try DataDirectory.prepare(file) }
        #expect(e?.description.contains("not a directory") == true)
        #expect(throws: DataDirectoryError.self) { try DataDirectory.prepare(file + "/below") }
        #expect(try DataDirectory.resolve(configured: dir) == dir)
    }
}
