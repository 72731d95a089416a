// A library user writes `import PetrelSession` and nothing else: the types
// the session's API speaks in (endpoints, encodings, QoS, key expressions,
// timestamps) come with it. Each declaration is re-exported by name, not
// whole modules, so the codec and the transport stay out of the user's
// namespace. Checked by Tests/PetrelSessionExampleTests (the README example).
@_exported import struct PetrelTransport.Endpoint
@_exported import struct PetrelTransport.TransportConfig
@_exported import enum PetrelTransport.TransportError
@_exported import struct PetrelWire.Encoding
@_exported import struct PetrelWire.NetworkQoS
@_exported import enum PetrelWire.ConsolidationMode
@_exported import enum PetrelWire.Priority
@_exported import enum PetrelWire.QueryTarget
@_exported import enum PetrelWire.Reliability
@_exported import enum PetrelWire.WhatAmI
@_exported import typealias PetrelWire.ZBytes
@_exported import struct PetrelKeyExpr.KeyExpr
@_exported import struct PetrelTime.Timestamp
@_exported import struct PetrelTime.ZenohID
@_exported import class PetrelTime.HybridLogicalClock
