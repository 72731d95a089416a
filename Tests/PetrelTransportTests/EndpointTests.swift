import PetrelWire
import Testing
@testable import PetrelTransport

@Suite("Endpoints in Zenoh's syntax")
struct EndpointTests {
    @Test("IPv4, IPv6 and host-name endpoints parse to host and port")
    func parses() throws {
        let v4 = try Endpoint("tcp/192.168.1.10:7447")
        #expect(v4.proto == .tcp && v4.host == "192.168.1.10" && v4.port == 7447)
        let v6 = try Endpoint("udp/[::1]:7447")
        #expect(v6.proto == .udp && v6.host == "::1" && v6.port == 7447)
        let name = try Endpoint("tcp/router.local:7447")
        #expect(name.host == "router.local")
        let serial = try Endpoint("serial//dev/ttyUSB0#baudrate=115200")
        #expect(serial.proto == .serial && serial.address == "/dev/ttyUSB0" && serial.config["baudrate"] == "115200")
        let meta = try Endpoint("tcp/127.0.0.1:7447?prio=1-5#so_rcvbuf=65536;keepalive=1")
        #expect(meta.metadata["prio"] == "1-5" && meta.config["keepalive"] == "1" && meta.port == 7447)
    }

    @Test("a bad endpoint is an error that says what is wrong", arguments: [
        ("127.0.0.1:7447", "missing protocol"),
        ("quic/127.0.0.1:7447", "unsupported protocol 'quic'"),
        ("tcp/127.0.0.1", "missing ':PORT'"),
        ("tcp/127.0.0.1:99999", "port '99999'"),
        ("tcp/127.0.0.1:http", "port 'http'"),
        ("tcp/::1:7447", "IPv6 addresses must be written in brackets"),
        ("udp/[::1:7447", "missing its closing ']'"),
        ("tcp/:7447", "missing host"),
        ("serial/", "missing serial device path"),
        ("tcp/h:1#novalue", "is not key=value"),
    ])
    func rejects(text: String, reason: String) {
        #expect {
            _ = try Endpoint(text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(reason) && message.contains(text)
        }
    }
}
