// The extensions each message knows, by name, with the ids zenoh gives them
// (zenoh-wire.md §4, zenoh `commons/zenoh-protocol`). Ids are scoped to their
// message, so the same number means different things in different families:
// kept here side by side, in the doc's order, so the table can be checked at a
// glance and no codec writes a bare `0x21`. Encoders write them in the order
// listed per message in its `encode`, which is Rust's order.
//
// Scout, Hello, Close, KeepAlive and Reply know no extension: they only carry
// unknown ones through.

/// INIT (InitSyn and InitAck, §6.1).
enum InitExtension {
    /// "I support priorities".
    static let qos = UnitExtensionID(0x1)
    /// QoS with a per-link priority range and reliability: same id as `qos`, a zint.
    static let qosLink = ZIntExtensionID(0x1)
    static let shm = BytesExtensionID(0x2)
    static let auth = BytesExtensionID(0x3)
    static let multiLink = BytesExtensionID(0x4)
    static let lowLatency = UnitExtensionID(0x5)
    static let compression = UnitExtensionID(0x6)
    static let patch = ZIntExtensionID(0x7)
    static let regionName = BytesExtensionID(0x8)
}

/// OPEN (OpenSyn and OpenAck, §6.2).
enum OpenExtension {
    static let qos = UnitExtensionID(0x1)
    /// Shared memory as 1.10.2 sends it.
    static let shm = BytesExtensionID(0x2)
    /// Shared memory as the protocol source declares it.
    static let shmZInt = ZIntExtensionID(0x2)
    static let auth = BytesExtensionID(0x3)
    /// MultiLink in OpenSyn: the opener's offer.
    static let multiLinkSyn = BytesExtensionID(0x4)
    /// MultiLink in OpenAck: only "accepted".
    static let multiLinkAck = UnitExtensionID(0x4)
    static let lowLatency = UnitExtensionID(0x5)
    static let compression = UnitExtensionID(0x6)
    static let remoteBound = ZIntExtensionID(0x7)
}

/// FRAME, FRAGMENT and transport OAM (§6.5, §6.6, §6.8).
enum TransportExtension {
    /// The priority channel: bits 0-2 of the zint.
    static let qos = ZIntExtensionID(0x1, mandatory: true)
}

/// FRAGMENT only (§6.6, patch ≥ 1).
enum FragmentExtension {
    static let first = UnitExtensionID(0x2)
    static let drop = UnitExtensionID(0x3)
}

/// JOIN (§6.7).
enum JoinExtension {
    /// Next SNs for each of the 8 priorities.
    static let qos = BytesExtensionID(0x1, mandatory: true)
    static let shm = BytesExtensionID(0x2, mandatory: true)
    static let patch = ZIntExtensionID(0x7)
}

/// The extensions network messages share (PUSH, REQUEST, RESPONSE,
/// RESPONSE_FINAL, DECLARE, INTEREST, network OAM; §9): not every message has
/// every one, see each `encode`.
enum NetworkExtension {
    static let qos = ZIntExtensionID(0x1)
    static let timestamp = BytesExtensionID(0x2)
    /// Router-to-router only.
    static let nodeID = ZIntExtensionID(0x3, mandatory: true)
    /// Latency instrumentation (1.10+): PUSH, REQUEST, RESPONSE.
    static let tsStack = BytesExtensionID(0x7)
}

/// REQUEST only (§9.3, §13.3).
enum RequestExtension {
    static let target = ZIntExtensionID(0x4, mandatory: true)
    static let budget = ZIntExtensionID(0x5)
    static let timeout = ZIntExtensionID(0x6)
}

/// RESPONSE only (§9.4).
enum ResponseExtension {
    static let responderID = BytesExtensionID(0x3)
}

/// The declarations inside a DECLARE (§9.5).
enum DeclarationExtension {
    /// D_QUERYABLE.
    static let queryableInfo = ZIntExtensionID(0x1)
    /// U_SUBSCRIBER, U_QUERYABLE, U_TOKEN: the undeclared key.
    static let wireExpr = BytesExtensionID(0xF, mandatory: true)
}

/// PUT (§10.1).
enum PutExtension {
    static let sourceInfo = BytesExtensionID(0x1)
    static let shm = UnitExtensionID(0x2, mandatory: true)
    static let attachment = BytesExtensionID(0x3)
}

/// DEL (§10.2). The attachment's id is 2, not 3 as in PUT.
enum DelExtension {
    static let sourceInfo = BytesExtensionID(0x1)
    static let attachment = BytesExtensionID(0x2)
}

/// QUERY (§10.3).
enum QueryExtension {
    static let sourceInfo = BytesExtensionID(0x1)
    static let body = BytesExtensionID(0x3)
    static let attachment = BytesExtensionID(0x5)
}

/// ERR (§10.5).
enum ErrExtension {
    static let sourceInfo = BytesExtensionID(0x1)
    static let shm = UnitExtensionID(0x2, mandatory: true)
}
