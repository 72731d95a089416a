import PetrelAgent
import PetrelSession
import PetrelTransport
import PetrelWire
import Testing

/// `mode: "peer"` and Zenoh's `scouting.*` keys in the agent's configuration.
@Suite("Peer mode and scouting configuration")
struct PeerConfigTests {
    private func errors(_ text: String) -> [ConfigError] { AgentConfig.validate(text, source: "config.json5") }

    @Test("a peer listens on its listen endpoints, dials only what it names, and takes Zenoh's scouting keys")
    func peerSessionConfig() throws {
        let c = try AgentConfig.parse("""
            {
              mode: "peer",
              listen: { endpoints: ["tcp/0.0.0.0:7448"] },
              scouting: {
                timeout: 1500,
                multicast: { enabled: true, address: "224.0.0.225:7447", interface: "eth0", ttl: 2,
                             autoconnect: { router: [], peer: ["peer"], client: ["router"] }, listen: { peer: false } },
                gossip: { enabled: true, multihop: false, target: ["peer"], autoconnect: ["router", "peer"],
                          autoconnect_strategy: { peer: { to_router: "always", to_peer: "greater-zid" } } },
              },
            }
            """, source: "config.json5")
        #expect(c.mode == .peer)
        let s = c.sessionConfig()
        #expect(s.mode == .peer && s.transport.whatAmI == .peer)
        #expect(s.listen.map(\.description) == ["tcp/0.0.0.0:7448"])
        #expect(s.connect.isEmpty)
        #expect(s.scouting.timeout == .milliseconds(1500))
        #expect(s.scouting.multicast == {
            var m = ScoutingConfig.Multicast()
            m.enabled = true
            m.address = "224.0.0.225:7447"
            m.interface = "eth0"
            m.ttl = 2
            m.autoconnect = [.peer]
            m.listen = false
            return m
        }())
        #expect(s.scouting.gossip.target == [.peer] && s.scouting.gossip.autoconnect == [.router, .peer])
        #expect(c.scoutingMulticast)
        // Zenoh's per-mode values: a peer takes the peer's.
        let perMode = try AgentConfig.parse("{ mode: 'peer', timestamping: { enabled: { router: true, peer: false, client: true } } }", source: "c")
        #expect(!perMode.timestamping)
    }

    @Test("a client keeps its listen endpoints for the gateway; with no connect endpoint it scouts when asked")
    func clientSessionConfig() throws {
        let plain = try AgentConfig.parse("{ listen: { endpoints: ['tcp/0.0.0.0:7448'] } }", source: "c")
        #expect(plain.sessionConfig().listen.isEmpty)
        #expect(plain.sessionConfig().connect == [AgentConfig.defaultRouter])
        let scouting = try AgentConfig.parse("{ scouting: { multicast: { enabled: true } } }", source: "c")
        #expect(scouting.sessionConfig().connect.isEmpty)
        #expect(scouting.sessionConfig().scouting.multicast.autoconnectKinds(mode: .client) == [.router, .peer, .client])
        #expect(try AgentConfig.parse("{ connect: { endpoints: [] }, scouting: { multicast: { enabled: true } } }", source: "c")
            .sessionConfig().connect.isEmpty)
    }

    @Test("bad scouting values name their key")
    func badValues() {
        #expect(errors("{ scouting: { multicast: { address: '10.0.0.1:7446' } } }").map(\.path) == ["scouting.multicast.address"])
        #expect(errors("{ scouting: { multicast: { ttl: 0 } } }").map(\.path) == ["scouting.multicast.ttl"])
        #expect(errors("{ scouting: { multicast: { autoconnect: ['router', 'broker'] } } }").map(\.path) == ["scouting.multicast.autoconnect[1]"])
        #expect(errors("{ scouting: { gossip: { target: ['client'] } } }").map(\.path) == ["scouting.gossip.target[0]"])
        #expect(errors("{ scouting: { gossip: { autoconnect_strategy: 'sometimes' } } }").map(\.path) == ["scouting.gossip.autoconnect_strategy"])
        #expect(errors("{ scouting: { gossip: { multihop: 'yes' } } }").map(\.path) == ["scouting.gossip.multihop"])
        #expect(errors("{ scouting: { multicast: { enable: true } } }").map(\.path) == ["scouting.multicast.enable"])
        #expect(errors("{ scouting: { multicast: { listen: { peer: 1 } } } }").map(\.path) == ["scouting.multicast.listen.peer"])
        // A client with no router and no scouting has nowhere to go.
        let empty = errors("{ connect: { endpoints: [] } }")
        #expect(empty.map(\.path) == ["connect.endpoints"])
        #expect(empty.first?.message.contains("scouting.multicast") == true)
        #expect(errors("{ mode: 'peer', connect: { endpoints: [] } }").isEmpty)
    }
}
