#if canImport(Glibc)
import Glibc
#endif
import Testing
import PetrelSystem

@Suite("system layer: files and directories")
struct SystemFileTests {
    @Test("written, synced, read back, renamed over another file, the directory synced")
    func writeSyncReadRename() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/a"
        do {
            let file = try SystemFile(path: path, create: true)
            try file.write(Array("hello, ".utf8), at: 0)
            try file.write(Array("world".utf8), at: 7)
            try file.sync()
            try file.sync(includingMetadata: true)
            #expect(try file.size() == 12)
            var buffer = [UInt8](repeating: 0, count: 20)
            #expect(try file.read(into: &buffer, at: 2, count: 18, offset: 7) == 5)
            #expect(Array(buffer[2..<7]) == Array("world".utf8))
        }
        let old = try SystemFile(path: dir.path + "/b", create: true)
        try old.write([1, 2, 3], at: 0)
        try Directory.rename(path, to: dir.path + "/b")
        try Directory.sync(dir.path)
        #expect(try Directory.entries(dir.path) == ["b"])
        #expect(try SystemFile(readingAt: dir.path + "/b").readAll() == Array("hello, world".utf8))
    }

    @Test("truncation, and opening with truncate, cut the file")
    func truncate() throws {
        let dir = TemporaryDirectory()
        let file = try SystemFile(path: dir.path + "/t", create: true)
        try file.write([UInt8](repeating: 7, count: 100), at: 0)
        try file.truncate(to: 10)
        #expect(try file.readAll() == [UInt8](repeating: 7, count: 10))
        let again = try SystemFile(path: dir.path + "/t", create: false, truncate: true)
        #expect(try again.size() == 0)
    }

    @Test("failures name the call, the path and errno")
    func failures() throws {
        let dir = TemporaryDirectory()
        #expect(throws: SystemCallError(operation: "open", path: dir.path + "/missing", errno: ENOENT)) {
            try SystemFile(readingAt: dir.path + "/missing")
        }
        #expect(throws: SystemCallError(operation: "mkdir", path: dir.path + "/x/y", errno: ENOENT)) {
            try Directory.create(dir.path + "/x/y", intermediates: false)
        }
        try Directory.create(dir.path + "/x/y")
        #expect(try Directory.entries(dir.path + "/x") == ["y"])
        rmdir(dir.path + "/x/y")
        rmdir(dir.path + "/x")
        // A missing file removed is fine.
        try Directory.remove(dir.path + "/never-was")
    }

    @Test("a locked file cannot be locked again through another descriptor")
    func exclusiveLock() throws {
        let dir = TemporaryDirectory()
        let first = try SystemFile(path: dir.path + "/lock", create: true)
        let second = try SystemFile(path: dir.path + "/lock", create: false)
        #expect(try first.tryLock())
        #expect(try !second.tryLock())
    }

    @Test("readAll reads a pipe, whose size fstat does not know")
    func readAllFromPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let bytes = [UInt8](repeating: 0x42, count: 5000)
        #expect(write(fds[1], bytes, bytes.count) == bytes.count)
        close(fds[1])
        let file = try SystemFile(readingAt: "/proc/self/fd/\(fds[0])")
        close(fds[0])
        #expect(try file.readAll() == bytes)
    }
}
