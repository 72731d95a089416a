import Foundation
import Testing

/// A real router, and `petrel agent` as a gateway listening on a serial line
/// (a socat pty pair made to look like a UART by scripts/pty_uart_shim.c,
/// so the agent opens it through libserialport) and, with `ip`, on UDP and
/// TCP too. Devices connect to `endpoint(_:)`.
struct SerialGateway {
    let router: ZenohRouter
    let agent: TestProcess
    let pty: PtyPair
    let dir: String
    /// The UDP and TCP listeners' port, when there are such listeners.
    let port: Int?

    /// Where a device on `link` ("serial", "udp" or "tcp") connects.
    func endpoint(_ link: String = "serial") -> String {
        switch link {
        case "serial": return "serial/\(pty.sensor)#baudrate=115200"
        case "udp": return "udp/127.0.0.1:\(port ?? 0)"
        default: return "tcp/127.0.0.1:\(port ?? 0)"
        }
    }

    static func start(ip: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) async throws -> SerialGateway {
        let router = try await ZenohRouter.start()
        let dir = PtyPair.makeDirectory()
        let shim = try InteropTests.SerialSensorTests.buildShim(in: dir)
        let pty = try await PtyPair(in: dir)
        let port = ip ? TestEnvironment.freePort() : nil
        let listeners = ["\"serial/\(pty.board)#baudrate=115200\""] + (port.map { ["\"udp/127.0.0.1:\($0)\"", "\"tcp/127.0.0.1:\($0)\""] } ?? [])
        let config = "\(dir)/gateway.json5"
        try """
            {
              connect: { endpoints: ["\(router.tcp)"] },
              listen: { endpoints: [\(listeners.joined(separator: ", "))] },
            }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try SerialAgent.start(config: config, environment: ["LD_PRELOAD": shim])
        #expect(await SerialAgent.waitForLog(agent, "listening", count: listeners.count),
                "the gateway did not listen: \(agent.errorOutput.suffix(8))", sourceLocation: sourceLocation)
        #expect(await SerialAgent.waitForLog(agent, "session open"), sourceLocation: sourceLocation)
        return SerialGateway(router: router, agent: agent, pty: pty, dir: dir, port: port)
    }

    func stop() async {
        agent.kill()
        await pty.kill(hard: true)
        router.process.kill()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
