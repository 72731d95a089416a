import PetrelTransport
import PetrelWire

/// A device's session as the gateway sees it: where it came from, what the
/// handshake said, a way to send it messages and to end it. In the agent it
/// is the `UnicastTransport` a listener accepted; the gateway's unit tests
/// drive the gateway through a recording fake.
protocol DeviceLink: AnyObject, Sendable {
    var endpoint: Endpoint { get }
    var parameters: TransportParameters { get }
    /// Queues `message` for the device; false once the session is closed.
    @discardableResult
    func deliver<M: WireEncodable>(_ message: M, priority: Priority) -> Bool
    /// Closes the session with a Close for the device giving `reason`.
    func end(reason: UInt8) async
    /// Stops reading from the device until `resume` returns (backpressure).
    func holdReads(until resume: @escaping @Sendable () async -> Void)
}

extension DeviceLink {
    /// Closes the session (with a Close for the device, reason generic).
    func end() async { await end(reason: Close.generic) }
}

extension UnicastTransport: DeviceLink {
    @discardableResult
    func deliver<M: WireEncodable>(_ message: M, priority: Priority) -> Bool {
        send(message, priority: priority)
    }

    func end(reason: UInt8) async { await close(reason: reason) }
}
