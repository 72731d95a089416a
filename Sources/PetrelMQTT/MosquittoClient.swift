import CMosquitto
import PetrelSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A libmosquitto failure, naming the broker and what was being done.
public struct MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    public var broker: String
    public var operation: String
    /// libmosquitto's `MOSQ_ERR_*`, or the CONNACK reason code for a refused connection.
    public var code: Int32
    public var reason: String

    public var description: String { "MQTT broker \(broker): \(operation): \(reason)" }
}

/// A message received from the broker.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
}

/// An MQTT 5 client connection through libmosquitto: owns the
/// `struct mosquitto *` handle and the thread that runs its network loop,
/// and reconnects with exponential back-off for as long as it runs.
///
/// Callbacks run on the loop thread; keep them short. `publish` and
/// `subscribe` may be called from any thread (the handle is created with
/// `mosquitto_threaded_set`, so libmosquitto locks around its queues and wakes
/// the loop to write). The handle is destroyed in one place, `deinit`, which
/// cannot run before the loop thread (holding a reference) has ended.
///
/// `@unchecked Sendable`: the handle is only touched through libmosquitto's
/// thread-safe calls, the rest of the state is in `Mutex`/`Atomic`.
public final class MosquittoClient: @unchecked Sendable {
    public struct TLS: Sendable, Equatable {
        /// PEM file of the CA(s) of the broker's certificate; nil: the system's trust store.
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// Do not verify the broker's certificate nor its host name.
        public var insecure = false

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var username: String?
        public var password: String?
        public var keepAliveSeconds = 60
        public var cleanSession = true
        public var tls: TLS?
        /// Back-off between connection attempts: doubles from `reconnectMin`
        /// up to `reconnectMax`, back to `reconnectMin` once connected.
        public var reconnectMin: Duration = .milliseconds(250)
        public var reconnectMax: Duration = .seconds(30)

        public init(host: String, port: Int, clientID: String) {
            self.host = host
            self.port = port
            self.clientID = clientID
        }

        /// `tcp/HOST:PORT` (or `tls/...`), for messages.
        public var brokerDescription: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return "\(tls == nil ? "tcp" : "tls")/\(h):\(port)"
        }
    }

    public struct Callbacks: Sendable {
        /// The broker accepted the connection (subscribe here: a clean session starts with none).
        public var connected: @Sendable () -> Void = {}
        /// A connection attempt failed or an established connection ended.
        public var connectionFailed: @Sendable (MQTTError) -> Void = { _ in }
        public var message: @Sendable (MQTTMessage) -> Void = { _ in }
        /// libmosquitto finished with publication `mid` (QoS 0 written, QoS 1 acknowledged, QoS 2 completed).
        public var published: @Sendable (Int32) -> Void = { _ in }

        public init() {}
    }

    public let options: Options
    private let callbacks: Callbacks
    private let lib: LibMosquitto
    private let handle: OpaquePointer
    private let stopRequested = Atomic<Bool>(false)
    private let connectedFlag = Atomic<Bool>(false)
    /// The broker refused the last attempt and that was reported; the loop's
    /// own error for the same attempt is not reported again.
    private let refusalReported = Atomic<Bool>(false)
    private let thread = Mutex<SystemThread?>(nil)

    /// Creates the handle and applies the options; connects in `start()`.
    ///
    /// - Throws: `MQTTError` when libmosquitto is not installed (the reason
    ///   says which package to install) or refuses an option (e.g. an
    ///   unreadable TLS file).
    public init(options: Options, callbacks: Callbacks) throws(MQTTError) {
        switch LibMosquitto.shared {
        case .success(let l):
            lib = l
        case .failure(let e):
            throw MQTTError(broker: options.brokerDescription, operation: "load libmosquitto",
                            code: MOSQ_ERR_NOT_SUPPORTED.rawValue, reason: e.reason)
        }
        self.options = options
        self.callbacks = callbacks
        guard let h = lib.new(options.clientID, options.cleanSession, nil) else {
            throw MQTTError(broker: options.brokerDescription, operation: "create client", code: MOSQ_ERR_NOMEM.rawValue,
                            reason: "mosquitto_new failed (out of memory, or an empty client id with clean_session false)")
        }
        handle = h
        lib.userDataSet(h, Unmanaged.passUnretained(self).toOpaque())
        try check(lib.intOption(h, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V5)), "set protocol version 5")
        try check(lib.threadedSet(h, true), "enable threaded mode")
        if let user = options.username {
            try check(lib.usernamePwSet(h, user, options.password), "set username/password")
        }
        if let tls = options.tls {
            if tls.caFile == nil {
                try check(lib.intOption(h, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "use the system's CA certificates")
            }
            if tls.caFile != nil || tls.certFile != nil {
                try check(lib.tlsSet(h, tls.caFile, nil, tls.certFile, tls.keyFile, nil),
                          "load TLS files (ca \(tls.caFile ?? "system"), cert \(tls.certFile ?? "none"), key \(tls.keyFile ?? "none"))")
            }
            if tls.insecure {
                // 0 = SSL_VERIFY_NONE: no certificate check; and no host name check.
                try check(lib.tlsOptsSet(h, 0, nil, nil), "disable certificate verification")
                try check(lib.tlsInsecureSet(h, true), "disable host name verification")
            }
        }
        lib.connectCallbackSet(h) { _, obj, rc in
            guard let obj else { return }
            Unmanaged<MosquittoClient>.fromOpaque(obj).takeUnretainedValue().didConnect(rc)
        }
        lib.disconnectCallbackSet(h) { _, obj, rc in
            guard let obj else { return }
            Unmanaged<MosquittoClient>.fromOpaque(obj).takeUnretainedValue().didDisconnect(rc)
        }
        lib.publishCallbackSet(h) { _, obj, mid in
            guard let obj else { return }
            Unmanaged<MosquittoClient>.fromOpaque(obj).takeUnretainedValue().callbacks.published(mid)
        }
        lib.messageCallbackSet(h) { _, obj, message in
            guard let obj, let m = message?.pointee else { return }
            let client = Unmanaged<MosquittoClient>.fromOpaque(obj).takeUnretainedValue()
            let topic = m.topic.map { String(cString: $0) } ?? ""
            var payload: [UInt8] = []
            if let p = m.payload, m.payloadlen > 0 {
                payload = Array(UnsafeRawBufferPointer(start: p, count: Int(m.payloadlen)))
            }
            client.callbacks.message(MQTTMessage(topic: topic, payload: payload, qos: Int(m.qos), retain: m.retain))
        }
    }

    deinit {
        lib.destroy(handle)
    }

    public var isConnected: Bool { connectedFlag.load(ordering: .acquiring) }

    /// Why libmosquitto cannot be loaded (and which package to install), or
    /// nil when it loads; loads it on first use (`petrel agent --check-config`).
    public static var libraryProblem: String? {
        if case .failure(let e) = LibMosquitto.shared { return e.reason }
        return nil
    }

    /// Starts the loop thread, which connects (and reconnects) in the background.
    public func start() {
        thread.withLock { t in
            guard t == nil else { return }
            // The thread holds the client until its loop ends (see `deinit`).
            do throws(SystemCallError) {
                t = try SystemThread(name: "mqtt") { [self] in runLoop() }
            } catch {
                callbacks.connectionFailed(MQTTError(broker: options.brokerDescription, operation: "start", code: error.errno,
                                                     reason: "could not start the network thread (errno \(error.errno))"))
            }
        }
    }

    /// Sends DISCONNECT (when connected), ends the loop thread and waits for it.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        let t = thread.withLock { t -> SystemThread? in
            let r = t
            t = nil
            return r
        }
        t?.join()
    }

    /// Publishes a message; returns libmosquitto's message id.
    ///
    /// - Throws: `MQTTError` (`MOSQ_ERR_NO_CONN` while disconnected for QoS 0;
    ///   for QoS 1 and 2 libmosquitto keeps the message and sends it after
    ///   reconnecting, so only a QoS 0 failure means "not sent").
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { buf in
            lib.publishV5(handle, &mid, topic, Int32(buf.count), buf.baseAddress, Int32(qos), retain, nil)
        }
        try check(rc, "publish to '\(topic)'")
        return mid
    }

    /// Subscribes to `filter`. `noLocal`: the broker does not send back what
    /// this client published; `retainAsPublished`: live messages keep their
    /// retain flag (so retained updates can be told apart).
    public func subscribe(_ filter: String, qos: Int, noLocal: Bool, retainAsPublished: Bool) throws(MQTTError) {
        var opts: Int32 = 0
        if noLocal { opts |= Int32(MQTT_SUB_OPT_NO_LOCAL.rawValue) }
        if retainAsPublished { opts |= Int32(MQTT_SUB_OPT_RETAIN_AS_PUBLISHED.rawValue) }
        try check(lib.subscribeV5(handle, nil, filter, Int32(qos), opts, nil), "subscribe to '\(filter)'")
    }

    // MARK: The loop thread

    private func runLoop() {
        var delay = options.reconnectMin
        var first = true
        var needConnect = true
        while !stopRequested.load(ordering: .acquiring) {
            if needConnect {
                let rc = first
                    ? lib.connectAsync(handle, options.host, Int32(options.port), Int32(options.keepAliveSeconds))
                    : lib.reconnectAsync(handle)
                first = false
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    callbacks.connectionFailed(error(rc, "connect"))
                    sleep(delay)
                    delay = min(delay * 2, options.reconnectMax)
                    continue
                }
                needConnect = false
            }
            let rc = lib.loop(handle, 100, 1)
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                if isConnected { delay = options.reconnectMin }
                continue
            }
            if stopRequested.load(ordering: .acquiring) { break }
            let wasConnected = connectedFlag.exchange(false, ordering: .acquiringAndReleasing)
            let refused = refusalReported.exchange(false, ordering: .acquiringAndReleasing)
            if !refused && (wasConnected || rc != MOSQ_ERR_CONN_LOST.rawValue) {
                callbacks.connectionFailed(error(rc, "connection"))
            }
            needConnect = true
            sleep(delay)
            delay = min(delay * 2, options.reconnectMax)
        }
        // Say goodbye: DISCONNECT is queued, the loop writes it and closes.
        if isConnected {
            _ = lib.disconnect(handle)
            for _ in 0..<20 where lib.loop(handle, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        connectedFlag.store(false, ordering: .releasing)
    }

    /// Sleeps up to `d`, waking early when stopping.
    private func sleep(_ d: Duration) {
        let end = ContinuousClock.now + d
        while !stopRequested.load(ordering: .acquiring) && ContinuousClock.now < end {
            usleep(20_000)
        }
    }

    private func didConnect(_ rc: Int32) {
        if rc == 0 {
            connectedFlag.store(true, ordering: .releasing)
            callbacks.connected()
        } else {
            refusalReported.store(true, ordering: .releasing)
            let reason = rc >= 128 ? text(lib.reasonString(rc)) : text(lib.connackString(rc))
            callbacks.connectionFailed(MQTTError(broker: options.brokerDescription, operation: "connection refused",
                                                 code: rc, reason: reason))
        }
    }

    private func didDisconnect(_ rc: Int32) {
        connectedFlag.store(false, ordering: .releasing)
    }

    private func error(_ rc: Int32, _ operation: String) -> MQTTError {
        var reason = text(lib.strerror(rc))
        if rc == MOSQ_ERR_ERRNO.rawValue { reason = String(cString: strerror(errno)) }
        return MQTTError(broker: options.brokerDescription, operation: operation, code: rc, reason: reason)
    }

    /// libmosquitto's message strings (never NULL, but typed as optional through the function pointers).
    private func text(_ p: UnsafePointer<CChar>?) -> String {
        p.map { String(cString: $0) } ?? "unknown"
    }

    private func check(_ rc: Int32, _ operation: String) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw error(rc, operation) }
    }
}
