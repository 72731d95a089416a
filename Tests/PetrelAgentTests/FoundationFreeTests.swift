import Foundation
import Testing
@testable import PetrelAgent
import PetrelSystem

/// The agent's stand-ins for Foundation (JSONWriter, FileSystem,
/// ProcessEnvironment) checked against Foundation itself.
@Suite("Foundation-free helpers")
struct FoundationFreeTests {
    @Test("the status JSON parses to the same object JSONEncoder's output did: same keys, sorted, nil optionals left out")
    func statusJSON() throws {
        let status = AgentStatus(
            zid: "a1b2", mode: "client", uptimeSeconds: 12.25,
            links: [.init(endpoint: "tcp/127.0.0.1:7447", role: "upstream", state: "up", peer: "c3d4", batchSize: 65535, leaseMs: 10000),
                    .init(endpoint: "udp/[::1]:7447", role: "upstream", state: "down", peer: nil, batchSize: nil, leaseMs: nil)],
            counters: .init(samplesIn: 1, samplesOut: 2, queriesIn: 3, queriesOut: 4, repliesIn: 5, drops: 6, reconnects: 7,
                            framingErrors: UInt64.max),
            buffer: ["records": 3, "bytes": 1024], storages: [:],
            version: .init(petrel: "0.1.0", zenohProtocol: 9, swift: "6.3"))
        let text = JSONWriter.write(status)
        #expect(text.hasPrefix(#"{"buffer":{"bytes":1024,"records":3},"counters":{"drops":6,"framingErrors":18446744073709551615,"#))
        #expect(text.contains(#"{"endpoint":"udp/[::1]:7447","role":"upstream","state":"down"}"#))
        #expect(text.hasSuffix(#""uptimeSeconds":12.25,"version":{"petrel":"0.1.0","swift":"6.3","zenohProtocol":9},"zid":"a1b2"}"#))

        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed.keys.sorted() == ["buffer", "counters", "links", "mode", "sessions", "storages", "uptimeSeconds", "version", "zid"])
        let links = try #require(parsed["links"] as? [[String: Any]])
        #expect(links[0]["batchSize"] as? Int == 65535 && links[0]["peer"] as? String == "c3d4")
        #expect(links[1]["peer"] == nil)
        #expect(parsed["uptimeSeconds"] as? Double == 12.25)
        #expect(JSONWriter.write(status.counters).hasPrefix(#"{"drops":6,"#))
        #expect(JSONWriter.write(AgentStatus.empty.links) == "[]")
    }

    @Test("strings: quotes, backslashes and control characters escaped, UTF-8 kept; JSONSerialization reads them back")
    func strings() throws {
        let samples = ["", "plain", "quote \" and \\ backslash", "tab\tnew\nline\rcr", "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
                       "é ü 温度 🌡", "a/b"]
        for s in samples {
            let text = JSONWriter.write([s])
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "\(text)")
            let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
            #expect(back == [s])
        }
        #expect(JSONWriter.write("\u{1}\n") == #""\u0001\n""#)
    }

    @Test("numbers: integral doubles without a fraction, others round-trip, NaN and infinities are null")
    func numbers() throws {
        #expect(JSONWriter.write([0.0, 3, -2, 0.5, 1e-5, 1e20, .nan, .infinity]) == "[0,3,-2,0.5,1e-05,1e+20,null,null]")
        let back = try JSONSerialization.jsonObject(with: Data(JSONWriter.write([0.1, 123.456, 1e-5, 1e20]).utf8)) as? [Double]
        #expect(back == [0.1, 123.456, 1e-5, 1e20])
        #expect(JSONWriter.write([true, false]) == "[true,false]")
        #expect(JSONWriter.write([Int?.none, 1]) == "[null,1]")
    }

    @Test("deletingLastPathComponent agrees with NSString's (where NSString neither traps nor drops the root)")
    func lastPathComponent() {
        for path in ["/a/b/c", "/a/b/", "/a", "/", "", "a/b", "a//b", "//a", "/a//b//", "./x", "../x/y"] {
            #expect(FileSystem.deletingLastPathComponent(path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
        // On Linux, NSString traps on a single relative component and turns "///" into "".
        #expect(FileSystem.deletingLastPathComponent("a") == "")
        #expect(FileSystem.deletingLastPathComponent("///") == "/")
    }

    @Test("kind, readability and reading a file agree with FileManager")
    func files() throws {
        #expect(FileSystem.kind("/dev/null") == .characterDevice)
        #expect(FileSystem.kind("/tmp") == .directory)
        #expect(FileSystem.kind("/etc/passwd") == .other)
        #expect(FileSystem.kind("/nonexistent/petrel") == nil)
        #expect(FileSystem.isReadable("/etc/passwd") == FileManager.default.isReadableFile(atPath: "/etc/passwd"))
        #expect(FileSystem.isWritable("/etc/passwd") == FileManager.default.isWritableFile(atPath: "/etc/passwd"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h9-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let content = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        _ = FileManager.default.createFile(atPath: file, contents: content)
        #expect(try FileSystem.readFile(file) == Array(content))
        #expect(throws: SystemError(errno: ENOENT)) { try FileSystem.readFile(file + ".missing") }
        #expect(throws: SystemError(errno: EISDIR)) { try FileSystem.readFile("/tmp") }
        #expect(SystemError(errno: ENOENT).description == "No such file or directory")
    }

    @Test("the environment read from environ: what getenv sees, for every name")
    func environment() {
        // Not compared with ProcessInfo.environment, which traps when a name is
        // set twice (a test runner's environment may have that).
        let environment = ProcessEnvironment.current()
        #expect(!environment.isEmpty)
        for (name, value) in environment {
            #expect(getenv(name).map { String(cString: $0) } == value, "\(name)")
        }
        #expect(environment["PATH"] != nil)
    }

    @Test("the home directory: $HOME, else the password database")
    func home() {
        #expect(FileSystem.homeDirectory(environment: ["HOME": "/home/pi"]) == "/home/pi")
        let fromPasswd = FileSystem.homeDirectory(environment: [:])
        #expect(fromPasswd.hasPrefix("/"))
        if let entry = getpwuid(geteuid()) { #expect(fromPasswd == String(cString: entry.pointee.pw_dir)) }
    }
}
