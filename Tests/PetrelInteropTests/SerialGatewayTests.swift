import Foundation
import PetrelSession
import PetrelTransport
import PetrelWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension InteropTests {
    /// A microcontroller speaking Zenoh over a UART, played by a Petrel client
    /// session on one end of a socat pty pair; the agent listens on the other
    /// end through libserialport (the pty shim makes the pty look like a UART)
    /// and is itself a client of the real router.
    @Suite("Zenoh over a serial line to the agent as a gateway", .serialized)
    struct SerialGatewayTests {
        static func start(sourceLocation: SourceLocation = #_sourceLocation) async throws -> SerialGateway {
            try await SerialGateway.start(sourceLocation: sourceLocation)
        }

        @Test("a serial client's puts reach a Python subscriber at the router; it receives Python's puts and answers Python's get")
        func serialClient() async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let device = try await openSession(s.endpoint())
            defer { Task { await device.close() } }
            // The agent logs the device's session (its log reaches us through a pipe, a moment later).
            #expect(await SerialAgent.waitForLog(s.agent, "device session open"), "\(s.agent.errorOutput.suffix(6))")
            #expect(s.agent.errorOutput.contains { $0.contains("device session open") && $0.contains("serial/") })

            let atRouter = try await PythonZenoh.startReady(s.router, ["sub", "mcu/**", "--count", "3", "--timeout", "20"])
            defer { atRouter.kill() }
            var options = PutOptions()
            options.encoding = .textPlain
            for v in ["21.5", "21.6", "21.7"] { try await device.put("mcu/1/temp", v, options: options) }
            let lines = await atRouter.waitForLines(3, timeout: .seconds(10)) { $0.contains("mcu/1/temp") }
            #expect(lines.compactMap(jsonObject).compactMap { $0["payload"] as? String } == ["21.5", "21.6", "21.7"],
                    "gateway said: \(s.agent.errorOutput.suffix(6))")
            #expect(lines.compactMap(jsonObject).allSatisfy { $0["encoding"] as? String == "text/plain" })

            // Larger than a serial batch (1500 bytes): fragmented on the line, whole at the router.
            let big = try await PythonZenoh.startReady(s.router, ["sub", "mcu/1/blob", "--summary", "--count", "1", "--timeout", "20"])
            defer { big.kill() }
            try await device.put("mcu/1/blob", Array(repeating: UInt8(ascii: "x"), count: 20_000))
            let blob = await big.waitForLine(timeout: .seconds(15)) { $0.contains("mcu/1/blob") }.flatMap(jsonObject)
            #expect(blob?["size"] as? Int == 20_000, "gateway said: \(s.agent.errorOutput.suffix(6))")

            let commands = Collector<String>()
            _ = try await device.declareSubscriber("mcu/1/cmd/**") { commands.add("\($0.key)=\(String(decoding: $0.payload, as: UTF8.self))") }
            _ = try await device.declareQueryable("mcu/1/info") { $0.reply("mcu/1/info", "firmware 1.2") }
            try await RouterView.waitFor(s.router, { await $0.subscriber("mcu/1/cmd/led") }, "the device's subscriber")
            try await RouterView.waitFor(s.router, { await $0.queryable("mcu/1/info") }, "the device's queryable")
            _ = try await PythonZenoh.run(s.router, ["put", "mcu/1/cmd/led", "on"])
            #expect(await commands.wait(for: 1, timeout: .seconds(10)) == ["mcu/1/cmd/led=on"])
            let replies = try await PythonZenoh.run(s.router, ["get", "mcu/1/**", "--timeout", "5"]).compactMap(jsonObject)
            #expect(replies.map { "\($0["key"] as? String ?? "")=\($0["payload"] as? String ?? "")" } == ["mcu/1/info=firmware 1.2"])

            // The admin space shows the serial listener opened through libserialport, and the device's session.
            let links = try await PythonZenoh.run(s.router, ["get", "@/**/petrel/links", "--timeout", "3"]).compactMap(jsonObject)
            let linkJSON = try #require(links.first?["payload"] as? String)
            #expect(linkJSON.contains("\"backend\":\"libserialport\""), "\(linkJSON)")
            #expect(linkJSON.contains("\"role\":\"listen\""))
        }

        @Test("line noise on the serial line (garbage, flipped bits, truncated frames) is dropped and counted; the session goes on")
        func lineNoise() async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let device = try await openSession(s.endpoint())
            defer { Task { await device.close() } }
            let atRouter = try await PythonZenoh.startReady(s.router, ["sub", "mcu/**", "--count", "2", "--timeout", "30"])
            defer { atRouter.kill() }
            try await device.put("mcu/2/seq", "before")
            #expect(await atRouter.waitForLine(timeout: .seconds(10)) { $0.contains("before") } != nil)

            // A second writer on the device's end of the line, as noise on a wire would be.
            let fd = open(s.pty.sensor, O_WRONLY | O_NOCTTY)
            try #require(fd >= 0, "cannot open \(s.pty.sensor)")
            defer { close(fd) }
            var noise: [UInt8] = []
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<50 { noise += (0..<Int.random(in: 3...40, using: &rng)).map { _ in UInt8.random(in: 1...255, using: &rng) } + [0] }
            // A well-formed KeepAlive frame with one bit flipped in its data, and one cut short.
            noise += [0x01, 0x02, 0x01, 0x06, 0x05, 0xba, 0x6c, 0x6a, 0xf8, 0x00]
            noise += [0x01, 0x02, 0x01, 0x06, 0x04, 0x00]
            let written = noise.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            #expect(written == noise.count)
            #expect(await eventually { s.agent.isRunning }, "the gateway survived the noise")

            try await device.put("mcu/2/seq", "after")
            #expect(await atRouter.waitForLine(timeout: .seconds(10)) { $0.contains("after") } != nil,
                    "the session did not survive the noise: \(s.agent.errorOutput.suffix(6))")
            let counters = try await PythonZenoh.run(s.router, ["get", "@/**/petrel/counters", "--timeout", "3"]).compactMap(jsonObject)
            let payload = try #require(counters.first?["payload"] as? String)
            let json = try #require(jsonObject(payload))
            #expect((json["framingErrors"] as? Int ?? 0) >= 50, "\(json)")
            #expect(s.agent.isRunning)
            #expect(!s.agent.errorOutput.contains { $0.contains("device session closed") }, "\(s.agent.errorOutput.suffix(6))")
        }

        @Test("the serial line pulled away (socat killed) and brought back: the gateway listens again and a new device session works")
        func unplugged() async throws {
            let s = try await Self.start()
            defer { Task { await s.stop() } }
            let first = try await openSession(s.endpoint())
            await first.close()
            await s.pty.kill(hard: true)
            #expect(await SerialAgent.waitForLog(s.agent, "serial port unavailable"), "\(s.agent.errorOutput.suffix(6))")
            try await s.pty.start()
            #expect(await SerialAgent.waitForLog(s.agent, "serial port back"), "\(s.agent.errorOutput.suffix(6))")
            let again = try await openSession(s.endpoint())
            defer { Task { await again.close() } }
            let atRouter = try await PythonZenoh.startReady(s.router, ["sub", "mcu/**", "--count", "1", "--timeout", "20"])
            defer { atRouter.kill() }
            try await again.put("mcu/3/state", "back")
            #expect(await atRouter.waitForLine(timeout: .seconds(10)) { $0.contains("back") } != nil)
            #expect(s.agent.isRunning)
        }
    }
}
