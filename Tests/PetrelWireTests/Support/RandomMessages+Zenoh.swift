import PetrelWire

// Random instances of the zenoh (payload) messages and of Push.
extension SeededRandom {
    mutating func put() -> Put {
        Put(payload: bytes(), encoding: chance(2) ? .zenohBytes : encoding(),
            timestamp: chance(2) ? timestamp() : nil,
            sourceInfo: chance(3) ? sourceInfo() : nil,
            attachment: chance(3) ? bytes() : nil,
            isSharedMemory: chance(10),
            unknownExtensions: unknownExtensions(avoiding: [0x41, 0x12, 0x43]))
    }

    mutating func del() -> Del {
        Del(timestamp: chance(2) ? timestamp() : nil,
            sourceInfo: chance(3) ? sourceInfo() : nil,
            attachment: chance(3) ? bytes() : nil,
            unknownExtensions: unknownExtensions(avoiding: [0x41, 0x42]))
    }

    mutating func pushBody() -> PushBody { chance(4) ? .del(del()) : .put(put()) }

    mutating func push() -> Push {
        Push(wireExpr: wireExpr(), body: pushBody(), qos: networkQoS(),
             timestamp: chance(3) ? timestamp() : nil,
             nodeID: chance(3) ? zint(UInt16.self) : 0,
             tsStack: chance(5) ? bytes() : nil,
             unknownExtensions: unknownExtensions(avoiding: [0x21, 0x42, 0x33, 0x47]))
    }
}
