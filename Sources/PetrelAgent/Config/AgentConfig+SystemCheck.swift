import PetrelMQTT
import PetrelTransport

extension AgentConfig {
    /// Checks what a valid file can still get wrong about this machine (run by
    /// `petrel agent --check-config`, which does not start anything): serial
    /// ports that do not exist or that this user may not open, an `mqtt` section
    /// without libmosquitto installed, TLS files that cannot be read, a buffer
    /// directory that cannot be created. Returns the
    /// problems (empty when none), each naming its key path, e.g. `serial[0].port`.
    public func checkSystem() -> [ConfigError] {
        var problems: [ConfigError] = []
        func report(_ path: String, _ message: String) {
            problems.append(ConfigError(path: path, message: message))
        }
        for (n, s) in serial.enumerated() {
            if let problem = Self.serialDeviceProblem(s.port) { report("serial[\(n)].port", problem) }
        }
        for (n, e) in listen.enumerated() where e.proto == .serial {
            if let problem = Self.serialDeviceProblem(e.address) { report("listen.endpoints[\(n)]", problem) }
        }
        for (n, e) in connect.endpoints.enumerated() where e.proto == .serial {
            if let problem = Self.serialDeviceProblem(e.address) { report("connect.endpoints[\(n)]", problem) }
        }
        if mqtt != nil, let problem = MosquittoClient.libraryProblem {
            report("mqtt", problem)
        }
        if let tls = mqtt?.tls {
            for (key, file) in [("ca_file", tls.caFile), ("cert_file", tls.certFile), ("key_file", tls.keyFile)] {
                guard let file else { continue }
                if !FileSystem.exists(file) {
                    report("mqtt.tls.\(key)", "'\(file)' does not exist")
                } else if !FileSystem.isReadable(file) {
                    report("mqtt.tls.\(key)", "'\(file)' cannot be read by this user")
                }
            }
        }
        problems += checkTLS()
        let dir = buffer.dir ?? DataDirectory.defaultPath()
        if let problem = Self.directoryProblem(dir) {
            report("buffer.dir", buffer.dir == nil ? "the default data directory \(problem)" : problem)
        }
        return problems
    }

    /// Why `path` cannot serve as a serial port for this user, or nil.
    static func serialDeviceProblem(_ path: String) -> String? {
        guard let kind = FileSystem.kind(path) else {
            return "'\(path)' does not exist (is the device plugged in? ls /dev/serial/by-id/ lists USB serial devices)"
        }
        if kind != .characterDevice {
            return "'\(path)' is not a serial device (not a character device)"
        }
        guard FileSystem.isReadable(path), FileSystem.isWritable(path) else {
            return "'\(path)' exists but this user cannot open it for reading and writing (add the user to the device's group, usually 'dialout')"
        }
        return nil
    }

    /// Why `dir` cannot be used (or created) as a data directory, or nil.
    static func directoryProblem(_ dir: String) -> String? {
        if let kind = FileSystem.kind(dir) {
            guard kind == .directory else { return "'\(dir)' exists but is not a directory" }
            return FileSystem.isWritable(dir) ? nil : "'\(dir)' is not writable by this user"
        }
        // Not there yet: the agent creates it, so the nearest existing parent must be writable.
        var parent = FileSystem.deletingLastPathComponent(dir)
        while !parent.isEmpty, parent != "/", !FileSystem.exists(parent) {
            parent = FileSystem.deletingLastPathComponent(parent)
        }
        if parent.isEmpty { parent = "/" }
        return FileSystem.isWritable(parent) ? nil : "'\(dir)' does not exist and cannot be created ('\(parent)' is not writable by this user)"
    }
}
