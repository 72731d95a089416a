import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Listens on a serial line: the port is opened as the listening side of
/// Zenoh's serial link and waits for a device's Init. A serial line carries
/// one session at a time; when it ends (the device closed it, went silent,
/// restarted and sent Init again, or the port went away) the port is opened
/// again and waits for the next one, retrying with back-off while the device
/// is unplugged.
enum SerialListener {
    static func start(_ endpoint: Endpoint, accept: SessionAcceptor, group: EventLoopGroup) async throws -> TransportListener {
        let current = NIOLockedValueBox<Channel?>(nil)
        let statistics = SerialLinkStatistics()
        let stopped = NIOLockedValueBox(false)
        @Sendable func open() async throws -> Channel {
            let ch = try await SerialLink.openChannel(endpoint: endpoint, role: .listener, group: group, statistics: statistics) { ch in
                try ch.pipeline.syncOperations.addHandler(accept.handler(for: ch, endpoint: endpoint, framing: .serial,
                                                                         handshakeTimeout: false))
            }
            current.withLockedValue { $0 = ch }
            if stopped.withLockedValue({ $0 }) { try? await ch.close() }
            return ch
        }
        // The first open reports a missing or unusable port to the caller (which retries).
        let first: Channel
        do {
            first = try await open()
        } catch {
            throw TransportError.link("cannot listen on \(endpoint): \(error)")
        }
        accept.logger.info("listening", metadata: ["endpoint": "\(endpoint)"])
        let loop = Task {
            var channel: Channel? = first
            var delay = Duration.milliseconds(250)
            var reported = false
            while !Task.isCancelled && !stopped.withLockedValue({ $0 }) {
                if let ch = channel {
                    try? await ch.closeFuture.get()
                    channel = nil
                    continue
                }
                do {
                    channel = try await open()
                    if reported { accept.logger.info("serial port back; listening again", metadata: ["endpoint": "\(endpoint)"]) }
                    delay = .milliseconds(250)
                    reported = false
                } catch {
                    if !reported {
                        accept.logger.warning("serial port unavailable; retrying", metadata: ["endpoint": "\(endpoint)", "reason": "\(error)"])
                        reported = true
                    }
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
        return TransportListener(endpoint: endpoint, localAddress: nil, serialStatistics: statistics) {
            stopped.withLockedValue { $0 = true }
            loop.cancel()
            if let ch = current.withLockedValue({ $0 }) { try? await ch.close() }
        }
    }
}
