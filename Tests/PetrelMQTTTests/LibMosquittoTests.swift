@testable import PetrelMQTT
import Testing

@Suite("libmosquitto, loaded at run time")
struct LibMosquittoTests {
    @Test("the installed libmosquitto loads and a client is created (no connection until start)")
    func loads() throws {
        guard case .success = LibMosquitto.shared else {
            Issue.record("libmosquitto did not load: \(LibMosquitto.shared)")
            return
        }
        var options = MosquittoClient.Options(host: "127.0.0.1", port: 1, clientID: "petrel-load-test")
        options.username = "user"
        options.password = "secret"
        _ = try MosquittoClient(options: options, callbacks: .init())
    }

    @Test("a missing libmosquitto is reported with the package to install")
    func missing() {
        guard case .failure(let e) = LibMosquitto.load(names: ["libpetrel-no-such-mosquitto.so.1"]) else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(e.reason.contains("libpetrel-no-such-mosquitto.so.1"))
        #expect(e.reason.contains("install the libmosquitto1 package"))
        #expect(e.reason.contains("scripts/setup"))
    }

    @Test("a library without libmosquitto's functions is refused, naming the missing one")
    func wrongLibrary() {
        guard case .failure(let e) = LibMosquitto.load(names: ["libc.so.6"]) else {
            Issue.record("libc was taken for libmosquitto")
            return
        }
        #expect(e.reason.contains("mosquitto_lib_init"))
    }
}
