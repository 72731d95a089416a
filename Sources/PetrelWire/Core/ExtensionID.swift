/// Which extension of a message an extension header names (zenoh-wire.md §4).
///
/// Zenoh identifies an extension by its id *and* its body shape (in INIT, id 1
/// is QoS as a unit and QoSLink as a zint), and the M bit is fixed per
/// extension, so the three together — the header byte without Z — are the
/// identity. `key` is that byte, e.g. `0x21` for a zint with id 1.
///
/// One type per body shape, as Rust's `zextunit!`/`zextz64!`/`zextzbuf!`, so an
/// encoder cannot write a zint under an id whose body is bytes: the
/// `ExtensionChain` writer only accepts the matching value.
protocol ExtensionID: Sendable {
    /// The extension header byte with Z clear.
    var key: UInt8 { get }
}

extension ExtensionID {
    /// Lets decoders `switch e.key { case NetworkExtension.qos: … }` on the
    /// byte read off the wire.
    static func ~= (pattern: Self, key: UInt8) -> Bool { pattern.key == key }

    /// The header byte from its parts; ids above 15 cannot be written.
    static func key(id: UInt8, encoding: UInt8, mandatory: Bool) -> UInt8 {
        precondition(id <= 0x0F, "extension ids are 4 bits")
        return id | encoding | (mandatory ? ZExtension.mandatoryFlag : 0)
    }
}

/// An extension with no body: its presence is the value.
struct UnitExtensionID: ExtensionID {
    let key: UInt8
    init(_ id: UInt8, mandatory: Bool = false) {
        key = Self.key(id: id, encoding: ZExtension.encodingUnit, mandatory: mandatory)
    }
}

/// An extension whose body is one zint.
struct ZIntExtensionID: ExtensionID {
    let key: UInt8
    init(_ id: UInt8, mandatory: Bool = false) {
        key = Self.key(id: id, encoding: ZExtension.encodingZInt, mandatory: mandatory)
    }
}

/// An extension whose body is a zint length and that many bytes.
struct BytesExtensionID: ExtensionID {
    let key: UInt8
    init(_ id: UInt8, mandatory: Bool = false) {
        key = Self.key(id: id, encoding: ZExtension.encodingBytes, mandatory: mandatory)
    }
}
