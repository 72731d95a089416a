import PetrelTime
import PetrelWire

// Zenoh's gossip (`scouting.gossip.*`) as 1.10.2 peers do it: a network OAM
// (id 1) carrying link states, each a node's ZID, kind and locators. A node
// learning of one it has no transport with dials it, so a new peer joins the
// whole clique from one known address.
extension Session {
    /// Tells a new face what we know (`scouting.gossip`): ourselves with our
    /// locators, and each other peer with the locators it announced. A Zenoh
    /// peer dials the ones it has no transport with.
    func sendGossip(on face: PeerFace) {
        let g = config.scouting.gossip
        guard g.enabled, g.target.contains(face.whatAmI) else { return }
        let (ours, sn, others) = peers.withLock { m in (m.locators, m.gossipSN, m.installed.filter { $0 !== face }) }
        var states = [PetrelWire.LinkState(psid: 0, sn: sn, zid: zid, whatAmI: config.mode, locators: ours)]
        for o in others {
            let (locators, osn) = o.state.withLock { ($0.locators, $0.gossipSN) }
            let psid = peers.withLock { $0.psid(for: o.zid) }
            states.append(PetrelWire.LinkState(psid: psid, sn: osn, zid: o.zid, whatAmI: o.whatAmI, locators: locators))
        }
        if let oam = try? LinkStateList(states).oam() { face.transport.send(NetworkMessage.oam(oam), priority: .control) }
    }

    /// What gossip said of nodes other than its senders: where each listens.
    public var gossipedLocators: [ZenohID: [String]] { peers.withLock { $0.gossipedLocators } }

    func gossipReceived(_ body: ZBytes, from face: PeerFace) {
        let g = config.scouting.gossip
        guard g.enabled else { return }
        let list: LinkStateList
        do throws(DecodeError) {
            list = try LinkStateList.decode(body)
        } catch {
            logger.info("malformed gossip ignored", metadata: ["peer": "\(face.zid)", "error": "\(error)"])
            return
        }
        for s in list.states {
            let node: ZenohID? = face.state.withLock { st in
                if let z = s.zid { st.psids[s.psid] = z }
                return s.zid ?? st.psids[s.psid]
            }
            guard let node, node != zid else { continue }
            let kind = s.whatAmI ?? .router
            if node == face.zid {
                // The sender about itself: remember where it listens and pass
                // that on to the others, who may not know it yet.
                guard let locators = s.locators else { continue }
                let changed = face.state.withLock { st -> Bool in
                    guard s.sn > st.gossipSN || st.locators == nil else { return false }
                    st.gossipSN = s.sn
                    let changed = st.locators != locators
                    st.locators = locators
                    return changed
                }
                if changed { passOn(face.zid, face.whatAmI, locators: locators, sn: s.sn, except: face) }
            } else if let locators = s.locators {
                peers.withLock { $0.gossipedLocators[node] = locators }
            }
            if node != face.zid, g.multihop, let locators = s.locators {
                // Multihop: what we heard of other nodes goes on too, once per
                // news (a newer sn), so it cannot circle for ever.
                let news = peers.withLock { m -> Bool in
                    if let known = m.heard[node], known >= s.sn { return false }
                    m.heard[node] = s.sn
                    return true
                }
                if news { passOn(node, kind, locators: locators, sn: s.sn, except: face) }
            }
            if let locators = s.locators, g.autoconnect.contains(kind), peers.withLock({ $0.byZID[node] == nil }) {
                connectDiscovered(node, locators: locators)
            }
        }
    }

    /// Passes a node's locators on to the other peers (all but the one we heard it from).
    private func passOn(_ node: ZenohID, _ kind: WhatAmI, locators: [String], sn: UInt64, except face: PeerFace) {
        let g = config.scouting.gossip
        let (others, psid) = peers.withLock { m in (m.installed.filter { $0 !== face }, m.psid(for: node)) }
        let state = PetrelWire.LinkState(psid: psid, sn: sn, zid: node, whatAmI: kind, locators: locators)
        guard let oam = try? LinkStateList([state]).oam() else { return }
        for o in others where g.target.contains(o.whatAmI) { o.transport.send(NetworkMessage.oam(oam), priority: .control) }
    }
}
