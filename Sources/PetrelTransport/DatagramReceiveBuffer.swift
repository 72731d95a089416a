import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The receive buffer of a UDP link. A router does not pace what it sends
/// over UDP: a fragmented 4 MiB sample arrives as a burst of 64 KiB
/// datagrams, and whatever the socket cannot hold while the event loop is
/// busy elsewhere is lost, with the whole sample. 4 MiB is asked for; the
/// kernel caps SO_RCVBUF at net.core.rmem_max (208 KiB on a stock Debian or
/// Raspberry Pi OS), so a process allowed to (root, or CAP_NET_ADMIN, as the
/// agent usually runs under systemd) sets it with SO_RCVBUFFORCE instead.
enum DatagramReceiveBuffer {
    static let bytes = 4 << 20

    /// Raises `channel`'s receive buffer past rmem_max when the process may;
    /// otherwise leaves the capped SO_RCVBUF in place.
    static func raise(_ channel: Channel) {
        #if canImport(Glibc)
        let force = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_RCVBUFFORCE))
        if geteuid() == 0 {
            _ = channel.setOption(force, value: SocketOptionValue(bytes))
        }
        #endif
    }
}
