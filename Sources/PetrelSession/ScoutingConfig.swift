import PetrelWire

/// How a session finds others by itself (Zenoh's `scouting.*` keys): Scout
/// and Hello on a UDP multicast group, and gossip of peer locators over the
/// peer links already open.
public struct ScoutingConfig: Sendable, Equatable {
    /// `scouting.timeout`: how long a client with no connect endpoint scouts
    /// for a router in each round before trying again.
    public var timeout: Duration = .milliseconds(3000)
    public var multicast = Multicast()
    public var gossip = Gossip()

    public init() {}

    public struct Multicast: Sendable, Equatable {
        /// `scouting.multicast.enabled`. Off by default in Petrel (Zenoh: on),
        /// so a session joins no group and binds no shared port unless asked.
        public var enabled = false
        /// `scouting.multicast.address`: Zenoh's default group and port.
        public var address = "224.0.0.224:7446"
        /// `scouting.multicast.interface`: an interface name or address;
        /// "auto" lets the kernel pick by its multicast route.
        public var interface = "auto"
        /// `scouting.multicast.ttl`.
        public var ttl = 1
        /// `scouting.multicast.autoconnect`: the kinds a session connects to
        /// when they answer (nil: Zenoh's default for the mode, see `autoconnectKinds`).
        public var autoconnect: [WhatAmI]?
        /// `scouting.multicast.listen`: answer other nodes' Scouts with a Hello.
        public var listen = true

        public init() {}

        /// Zenoh 1.x defaults: peers and clients connect to routers, peers
        /// and clients that answer; a router to none.
        public func autoconnectKinds(mode: WhatAmI) -> [WhatAmI] {
            if let autoconnect { return autoconnect }
            return mode == .router ? [] : [.router, .peer, .client]
        }
    }

    public struct Gossip: Sendable, Equatable {
        /// `scouting.gossip.enabled` (peers only: clients take no part).
        public var enabled = true
        /// `scouting.gossip.multihop`: pass on what we heard of nodes other
        /// than the sender too. Off as in Zenoh: in a clique one hop is enough.
        public var multihop = false
        /// `scouting.gossip.target`: the kinds we gossip to.
        public var target: [WhatAmI] = [.router, .peer]
        /// `scouting.gossip.autoconnect`: the kinds we connect to when gossip names them.
        public var autoconnect: [WhatAmI] = [.router, .peer]

        public init() {}
    }
}
