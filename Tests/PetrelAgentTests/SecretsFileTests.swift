import Foundation
import PetrelTransport
import Testing
@testable import PetrelAgent

/// A configuration that holds a password, or names a file of passwords, is
/// refused while every user of the board can read it.
@Suite("Secrets on disk")
struct SecretsFileTests {
    /// A fresh directory, removed by the caller.
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to path: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static let withPassword = """
    {
      connect: { endpoints: ["tcp/127.0.0.1:7447"] },
      mqtt: { broker: "tcp/127.0.0.1:1883", username: "bridge", password: "s3cret", mappings: [ { topic: "a/#", key: "farm/a" } ] },
    }
    """

    @Test("a world-readable file with a password is refused, naming the file, the key, the mode and the fix")
    func worldReadableRefused() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/agent.json5"
        try Self.write(Self.withPassword, to: path, mode: 0o644)
        let e = #expect(throws: ConfigError.self) { try AgentConfig.load(path: path) }
        #expect(e?.file == path)
        #expect(e?.path == "mqtt.password")
        #expect(e?.line == 3)
        #expect(e?.message.contains("every user can read it (mode 0644)") == true)
        #expect(e?.message.contains("chmod 600 \(path)") == true)
        #expect(e?.message.contains("--allow-insecure-secrets") == true)
        #expect(AgentConfig.validate(path: path).map(\.path) == ["mqtt.password"], "--check-config says so too")

        // The fixes: owner only, or owner and the agent's group; or the override.
        for mode in [0o600, 0o640, 0o400] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect(try AgentConfig.load(path: path).mqtt?.password == "s3cret", "mode \(String(mode, radix: 8))")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(try AgentConfig.load(path: path, allowInsecureSecrets: true).mqtt?.password == "s3cret")
        #expect(AgentConfig.secretsPermissionProblems(Self.withPassword, file: path, allowInsecure: false,
                                                      environment: [AgentConfig.allowInsecureSecretsVariable: "1"]).isEmpty)
        #expect(AgentConfig.secretsPermissionProblems(Self.withPassword, file: path, allowInsecure: false,
                                                      environment: [AgentConfig.allowInsecureSecretsVariable: "0"]).count == 1)
    }

    @Test("a file without secrets may be world-readable")
    func noSecretsNoCheck() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/agent.json5"
        try Self.write("{ connect: { endpoints: ['tcp/127.0.0.1:7447'] }, mqtt: { broker: 'tcp/127.0.0.1:1883', username: 'u', "
                       + "mappings: [ { topic: 'a', key: 'k' } ] } }", to: path, mode: 0o644)
        #expect(try AgentConfig.load(path: path).mqtt?.username == "u")
    }

    @Test("any key ending in 'password', at any depth, is a secret (Zenoh's transport.auth.usrpwd.password included)")
    func genericPasswordKeys() throws {
        let text = """
        { transport: { auth: { usrpwd: { user: "edge", password: "pw" } } } }
        """
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/agent.json5"
        try Self.write(text, to: path, mode: 0o604)
        let problems = AgentConfig.secretsPermissionProblems(text, file: path, allowInsecure: false, environment: [:])
        #expect(problems.map(\.path) == ["transport.auth.usrpwd.password"])
        #expect(problems.first?.message.contains("mode 0604") == true)
    }

    @Test("a usrpwd dictionary file readable by every user is refused, relative paths taken from the config's directory")
    func dictionaryFile() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = "{ transport: { auth: { usrpwd: { user: 'edge', dictionary_file: 'users.txt' } } } }"
        let config = dir + "/agent.json5"
        try Self.write(text, to: config, mode: 0o644)
        try Self.write("edge:pw\n", to: dir + "/users.txt", mode: 0o644)
        let problems = AgentConfig.secretsPermissionProblems(text, file: config, allowInsecure: false, environment: [:])
        #expect(problems.map(\.path) == ["transport.auth.usrpwd.dictionary_file"])
        #expect(problems.first?.message.contains("'\(dir)/users.txt'") == true)
        #expect(problems.first?.message.contains("chmod 600 \(dir)/users.txt") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir + "/users.txt")
        #expect(AgentConfig.secretsPermissionProblems(text, file: config, allowInsecure: false, environment: [:]).isEmpty,
                "the config itself holds no secret, only the dictionary's name")
    }
}
