import PetrelTestSupport

/// A socat pty pair (`a`, `b`): the shared helper under the name these tests use.
typealias PtyPair = SocatPtyPair
