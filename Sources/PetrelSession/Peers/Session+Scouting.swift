import Logging
import NIOCore
import PetrelTime
import PetrelTransport
import PetrelWire
import Synchronization

// Multicast scouting (`scouting.multicast.*`): answering other nodes'
// Scouts, a peer finding peers and routers to connect to, and a client with
// no connect endpoint finding its router.
extension Session {
    var scoutingGroup: MulticastGroup? {
        guard config.scouting.multicast.enabled else { return nil }
        guard let g = MulticastGroup(config.scouting.multicast.address) else {
            logger.error("scouting disabled: not a multicast group", metadata: ["address": "\(config.scouting.multicast.address)"])
            return nil
        }
        return g
    }

    /// Starts answering Scouts (if `listen`) and, for a peer, scouting for
    /// nodes to connect to. A group that cannot be joined is logged, not fatal:
    /// the configured endpoints still work.
    func startScouting() async {
        guard let group = scoutingGroup else { return }
        let m = config.scouting.multicast
        if m.listen {
            do {
                let mode = config.mode
                let channel = try await MulticastScouting.respond(
                    group: group, interface: m.interface, whatAmI: mode, eventLoopGroup: self.group, logger: logger
                ) { [weak self] in
                    Hello(whatAmI: mode, zid: self?.zid ?? ZenohID(high: 0, low: 1)!, locators: self?.listenLocators ?? [])
                }
                peers.withLock { $0.scoutingChannel = channel }
            } catch {
                logger.warning("not answering scouts", metadata: ["group": "\(group)", "reason": "\(error)"])
            }
        }
        guard isPeer else { return }
        let kinds = m.autoconnectKinds(mode: config.mode)
        guard !kinds.isEmpty else { return }
        let task = Task { [weak self] in
            while let self, !Task.isCancelled, !self.isClosed {
                do {
                    try await MulticastScouting.scout(for: kinds, group: group, interface: m.interface, ttl: m.ttl, zid: self.zid,
                                                      timeout: .seconds(30), eventLoopGroup: self.group) { [weak self] answer in
                        guard let self, kinds.contains(answer.hello.whatAmI) else { return }
                        self.connectDiscovered(answer.hello.zid, locators: answer.hello.locators)
                    }
                } catch {
                    self.logger.warning("scouting failed", metadata: ["reason": "\(error)"])
                    try? await Task.sleep(for: .seconds(5))
                }
            }
        }
        peers.withLock { $0.tasks.append(task) }
    }

    /// A client with no connect endpoint: scouts until a node of a kind it
    /// may connect to answers (or `scouting.timeout` passes), and returns the
    /// answer's endpoints.
    func scoutForEndpoints() async -> [Endpoint] {
        guard let group = scoutingGroup else { return [] }
        let m = config.scouting.multicast
        let kinds = m.autoconnectKinds(mode: config.mode)
        let found = ScoutedEndpoints()
        let zid = self.zid
        let eventLoops = self.group
        let scouting = Task {
            try? await MulticastScouting.scout(for: kinds, group: group, interface: m.interface, ttl: m.ttl, zid: zid,
                                               timeout: config.scouting.timeout, eventLoopGroup: eventLoops) { answer in
                guard kinds.contains(answer.hello.whatAmI) else { return }
                let endpoints = answer.hello.locators.compactMap { try? Endpoint($0) }.filter { $0.proto != .serial }
                found.value.withLock { if $0.isEmpty { $0 = endpoints } }
            }
        }
        let deadline = ContinuousClock.now + config.scouting.timeout
        while ContinuousClock.now < deadline && !isClosed && found.value.withLock({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        scouting.cancel()
        let endpoints = found.value.withLock { $0 }
        if !endpoints.isEmpty { logger.info("scouted", metadata: ["endpoints": "\(endpoints.map(\.description))"]) }
        return endpoints
    }
}

/// The first answer's endpoints, shared with the scouting task.
private final class ScoutedEndpoints: Sendable {
    let value = Mutex<[Endpoint]>([])
}
