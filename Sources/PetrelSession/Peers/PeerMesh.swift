import NIOCore
import PetrelTime
import PetrelTransport
import PetrelWire

/// A peer-mode session's open transports and what gossip told it, under the
/// session's `peers` lock.
struct PeerMesh {
    /// Every transport a message arrived on or that was installed, by identity:
    /// a peer may send its declarations before the connect call returns.
    var faces: [ObjectIdentifier: PeerFace] = [:]
    /// Installed faces, one per remote node.
    var byZID: [ZenohID: PeerFace] = [:]
    /// `byZID`'s values, kept as an array so a put walks it without allocating.
    var installed: [PeerFace] = []
    var listeners: [TransportListener] = []
    /// Our own listening locators, as gossip and Hello advertise them.
    var locators: [String] = []
    /// Nodes gossip or scouting named that we are connecting to now.
    var connecting: Set<ZenohID> = []
    /// The ZID that answered on each connect endpoint, so a loop waits for
    /// that node's transport to go instead of dialling it again.
    var endpointPeers: [Endpoint: ZenohID] = [:]
    /// Our own link state's sequence number (bumped when our links change).
    var gossipSN: UInt64 = 1
    var tasks: [Task<Void, Never>] = []
    /// Gossip: our own index for each node we speak of (0 is us), kept for
    /// the session so a node keeps its psid across messages.
    var psids: [ZenohID: UInt64] = [:]
    /// Multihop gossip: the newest sn heard of each node not linked to us.
    var heard: [ZenohID: UInt64] = [:]
    /// Gossip: the locators of nodes we heard of through another.
    var gossipedLocators: [ZenohID: [String]] = [:]
    /// The socket answering Scouts on the multicast group.
    var scoutingChannel: Channel?

    mutating func psid(for node: ZenohID) -> UInt64 {
        if let p = psids[node] { return p }
        let p = UInt64(psids.count + 1)
        psids[node] = p
        return p
    }

    mutating func rebuildInstalled() {
        installed = byZID.values.sorted { $0.zid < $1.zid }
    }
}
