import Foundation
import Testing

extension InteropTests {
    /// Multicast scouting across two network namespaces the test makes: a real
    /// Zenoh router in one answers Scouts on 224.0.0.224:7446; Petrel in the
    /// other knows no address.
    @Suite("Multicast scouting in network namespaces", .serialized)
    struct ScoutingInteropTests {
        /// Runs `body` with a Python router (multicast scouting on) in namespace A.
        private func withScoutedRouter(_ body: (NamespacePair, String, TestProcess) async throws -> Void) async throws {
            try TestEnvironment.requirePython()
            try TestEnvironment.requirePetrel()
            let pair = try NamespacePair.create()
            defer { pair.destroy() }
            let endpoint = "tcp/\(pair.addressA):7447"
            let router = try pair.start(in: pair.a, "router", TestEnvironment.python,
                                        [TestEnvironment.script("zenoh_router.py"), "--listen", endpoint, "--multicast"])
            defer { router.kill() }
            guard let ready = await router.waitForLine(where: { $0.hasPrefix("ready ") }) else {
                Issue.record("the router did not start: \(router.errorOutput.suffix(5))")
                return
            }
            let zid = String(ready.dropFirst("ready ".count))
            try await body(pair, zid, router)
        }

        @Test("petrel scout lists the router that answered, with its ZID, kind and locator")
        func scoutListsRouter() async throws {
            try await withScoutedRouter { pair, zid, _ in
                let scout = try pair.start(in: pair.b, "petrel scout", TestEnvironment.petrel, ["scout", "--timeout", "3", "--json"])
                let status = await scout.waitForExit(timeout: .seconds(20))
                #expect(status == 0, "petrel scout: \(scout.errorOutput)")
                let answers = scout.output.compactMap(jsonObject)
                let router = answers.first { $0["zid"] as? String == zid }
                #expect(router?["whatami"] as? String == "router", "answers: \(scout.output)")
                #expect((router?["locators"] as? [String]) == ["tcp/\(pair.addressA):7447"])
                // Plain output names the same.
                let plain = try pair.start(in: pair.b, "petrel scout", TestEnvironment.petrel, ["scout", "--timeout", "2", "--what", "router"])
                _ = await plain.waitForExit(timeout: .seconds(20))
                #expect(plain.output.contains("\(zid) router tcp/\(pair.addressA):7447"), "\(plain.output)")
                // Nobody answers for clients: the tool says so and fails.
                let none = try pair.start(in: pair.b, "petrel scout", TestEnvironment.petrel, ["scout", "--timeout", "1.5", "--what", "client"])
                #expect(await none.waitForExit(timeout: .seconds(20)) == 1)
                #expect(none.errorOutput.contains { $0.contains("nothing answered") })
            }
        }

        @Test("a Petrel peer and a Python peer find each other by multicast and exchange data both ways")
        func peersFindEachOther() async throws {
            try TestEnvironment.requirePython()
            try TestEnvironment.requirePetrel()
            let pair = try NamespacePair.create()
            defer { pair.destroy() }
            let pythonEndpoint = "tcp/\(pair.addressA):7447"
            let python = try pair.start(in: pair.a, "python peer", TestEnvironment.python,
                                        [TestEnvironment.script("zenoh_peer.py"), "--name", "mc", "--listen", pythonEndpoint,
                                         "--multicast", "--sub", "mesh/**"])
            defer { python.kill() }
            #expect(await python.waitForLine(where: { $0.contains("\"ready\"") }) != nil, "\(python.errorOutput.suffix(5))")

            // A listening Petrel peer that knows no address: it answers Scouts and scouts itself.
            let sub = try pair.start(in: pair.b, "petrel sub -m peer", TestEnvironment.petrel,
                                     ["sub", "-m", "peer", "--scout", "-l", "tcp/\(pair.addressB):7448", "mesh/**",
                                      "--count", "1", "--json", "--timeout", "40", "--verbose"])
            defer { sub.kill() }
            #expect(await eventually(timeout: .seconds(20)) { sub.errorOutput.contains { $0.contains("peer joined") } },
                    "\(sub.errorOutput.suffix(5))")
            // A Python client of the Python peer puts; the peer routes it to Petrel.
            let received = await eventually(timeout: .seconds(20)) {
                let put = try? pair.start(in: pair.a, "python put", TestEnvironment.python,
                                          [TestEnvironment.script("zenoh_client.py"), "-e", pythonEndpoint, "put", "mesh/down", "hello"])
                _ = await put?.waitForExit(timeout: .seconds(10))
                return sub.output.contains { $0.contains("mesh/down") }
            }
            #expect(received, "petrel sub printed \(sub.output)")

            // A short-lived Petrel peer scouts, dials the Python peer and puts.
            let delivered = await eventually(timeout: .seconds(30)) {
                let put = try? pair.start(in: pair.b, "petrel put -m peer", TestEnvironment.petrel,
                                          ["put", "-m", "peer", "--scout", "mesh/up", "from-petrel"])
                _ = await put?.waitForExit(timeout: .seconds(15))
                return python.output.contains { $0.contains("mesh/up") }
            }
            #expect(delivered, "python peer printed \(python.output)")
        }

        @Test("a client with no connect endpoint finds the router by multicast and exchanges data both ways")
        func clientFindsRouter() async throws {
            try await withScoutedRouter { pair, _, _ in
                let endpoint = "tcp/\(pair.addressA):7447"
                // Router side → Petrel: a Python client next to the router puts until Petrel's subscriber has one.
                let sub = try pair.start(in: pair.b, "petrel sub", TestEnvironment.petrel,
                                         ["sub", "--scout", "scouted/**", "--count", "1", "--json", "--timeout", "30", "--verbose"])
                defer { sub.kill() }
                let opened = await eventually(timeout: .seconds(20)) { sub.errorOutput.contains { $0.contains("session open") } }
                #expect(opened, "petrel sub never reached the router: \(sub.errorOutput.suffix(5))")
                let received = await eventually(timeout: .seconds(20)) {
                    let put = try? pair.start(in: pair.a, "python put", TestEnvironment.python,
                                              [TestEnvironment.script("zenoh_client.py"), "-e", endpoint, "put", "scouted/down", "hello"])
                    _ = await put?.waitForExit(timeout: .seconds(10))
                    return sub.output.contains { $0.contains("scouted/down") }
                }
                #expect(received, "petrel sub printed \(sub.output)")
                #expect(sub.output.compactMap(jsonObject).first?["payload"] as? String == "hello")

                // Petrel → router side.
                let pySub = try pair.start(in: pair.a, "python sub", TestEnvironment.python,
                                           [TestEnvironment.script("zenoh_client.py"), "-e", endpoint, "sub", "scouted/**", "--count", "1", "--timeout", "30"])
                defer { pySub.kill() }
                #expect(await pySub.waitForLine(where: { $0.contains("\"ready\"") }) != nil)
                let delivered = await eventually(timeout: .seconds(20)) {
                    let put = try? pair.start(in: pair.b, "petrel put", TestEnvironment.petrel, ["put", "--scout", "scouted/up", "from-petrel"])
                    let status = await put?.waitForExit(timeout: .seconds(15))
                    if status != 0 { Issue.record("petrel put --scout failed: \(put?.errorOutput ?? [])") }
                    return pySub.output.contains { $0.contains("scouted/up") }
                }
                #expect(delivered, "python sub printed \(pySub.output)")
            }
        }
    }
}
