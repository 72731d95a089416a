import Foundation
import Testing
import PetrelAgent

/// Runs scripts/install with `arguments`; returns its exit status and output.
private func runInstall(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [repositoryRoot.appendingPathComponent("scripts/install").path] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The debug-built `petrel` next to this test bundle (SwiftPM builds every
/// product before testing); a stand-in ELF binary when it is not there, since
/// what is checked is where the script puts things, not the binary itself.
private func petrelBinary() -> String {
    let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for dir in [bundleDir, URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()] {
        let candidate = dir.appendingPathComponent("petrel").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "/bin/true"
}

@Suite("scripts/install", .serialized)
struct InstallScriptTests {
    @Test("--dest stages the stripped binary, the board's config and the unit; a second run keeps an edited config")
    func stagedInstall() throws {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h7-install-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let binary = petrelBinary()

        let first = try runInstall(["--dest", dest, "--binary", binary, "--board", "raspberry-pi-zero-2w"])
        #expect(first.status == 0, "\(first.output)")
        let fm = FileManager.default
        let installed = dest + "/usr/local/bin/petrel"
        #expect(fm.isExecutableFile(atPath: installed))
        let binarySize = try fm.attributesOfItem(atPath: binary)[.size] as? Int ?? 0
        let installedSize = try fm.attributesOfItem(atPath: installed)[.size] as? Int ?? 0
        #expect(installedSize > 0 && installedSize <= binarySize) // stripped, never larger

        let config = dest + "/etc/petrel/config.json5"
        let preset = repositoryRoot.appendingPathComponent("boards/raspberry-pi-zero-2w.json5").path
        #expect(fm.contentsEqual(atPath: config, andPath: preset))
        #expect(try fm.attributesOfItem(atPath: config)[.posixPermissions] as? Int == 0o640)
        #expect(try AgentConfig.load(path: config).transport.batchSize == 8192)

        let unit = try String(contentsOfFile: dest + "/etc/systemd/system/petrel.service", encoding: .utf8)
        for line in ["Type=notify", "ExecStart=/usr/local/bin/petrel agent -c /etc/petrel/config.json5", "Restart=on-failure",
                     "WatchdogSec=30", "User=petrel", "Group=petrel", "SupplementaryGroups=dialout", "StateDirectory=petrel"] {
            #expect(unit.split(separator: "\n").contains(Substring(line)), "unit lacks \(line)")
        }
        #expect(!unit.contains("\nPrivateDevices=yes"))
        for name in ["README.md", "generic-linux.json5", "raspberry-pi-4-5.json5"] {
            #expect(fm.fileExists(atPath: dest + "/usr/local/share/petrel/boards/" + name))
        }
        #expect(first.output.contains("no user, no chown, no systemctl"))

        // An edited config survives a reinstall, even with another board.
        try Data("{ log: { level: 'debug' } }\n".utf8).write(to: URL(fileURLWithPath: config))
        let second = try runInstall(["--dest", dest, "--binary", binary, "--board", "generic-linux"])
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("kept the existing"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "{ log: { level: 'debug' } }\n")
    }

    @Test("--prefix moves the binary and the unit's ExecStart")
    func prefix() throws {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h7-install-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let r = try runInstall(["--dest", dest, "--binary", "/bin/true", "--board", "generic-linux", "--prefix", "/opt/petrel"])
        #expect(r.status == 0, "\(r.output)")
        #expect(FileManager.default.isExecutableFile(atPath: dest + "/opt/petrel/bin/petrel"))
        let unit = try String(contentsOfFile: dest + "/etc/systemd/system/petrel.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/opt/petrel/bin/petrel agent -c /etc/petrel/config.json5\n"))
        #expect(unit.contains("file:///opt/petrel/share/petrel/boards/README.md"))
    }

    @Test("an unknown board or option is refused with the list of presets")
    func refusals() throws {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-h7-install-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let board = try runInstall(["--dest", dest, "--binary", "/bin/true", "--board", "commodore-64"])
        #expect(board.status != 0)
        #expect(board.output.contains("no preset 'commodore-64'"))
        #expect(board.output.contains("raspberry-pi-zero-2w"))
        let option = try runInstall(["--frobnicate"])
        #expect(option.status != 0)
        #expect(option.output.contains("unknown option '--frobnicate'"))
        let list = try runInstall(["--list-boards"])
        #expect(list.output.split(separator: "\n").sorted() == BoardPresetTests.presets.sorted().map { Substring($0) })
    }
}
