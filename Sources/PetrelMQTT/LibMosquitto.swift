import CMosquitto

#if canImport(Glibc)
import Glibc
#endif

/// libmosquitto's functions, looked up at run time.
///
/// petrel does not link libmosquitto: the library brings libssl and libcrypto
/// with it, about 1.7 MB of resident memory in every petrel process, MQTT or
/// not. It is loaded with `dlopen` the first time an MQTT client is created,
/// that is only when a configuration has an `mqtt` section; a board without
/// libmosquitto runs everything else.
struct LibMosquitto: @unchecked Sendable {
    /// The run-time library of Debian's libmosquitto1 (and of other distributions).
    static let defaultNames = ["libmosquitto.so.1", "libmosquitto.so"]

    /// Loaded once per process (dlopen handles are never closed: the clients'
    /// loop threads may run until exit).
    static let shared: Result<LibMosquitto, LibMosquittoError> = load(names: defaultNames)

    let libInit: petrel_mosquitto_lib_init_fn
    let new: petrel_mosquitto_new_fn
    let destroy: petrel_mosquitto_destroy_fn
    let userDataSet: petrel_mosquitto_user_data_set_fn
    let intOption: petrel_mosquitto_int_option_fn
    let threadedSet: petrel_mosquitto_threaded_set_fn
    let usernamePwSet: petrel_mosquitto_username_pw_set_fn
    let tlsSet: petrel_mosquitto_tls_set_fn
    let tlsOptsSet: petrel_mosquitto_tls_opts_set_fn
    let tlsInsecureSet: petrel_mosquitto_tls_insecure_set_fn
    let connectCallbackSet: petrel_mosquitto_connect_callback_set_fn
    let disconnectCallbackSet: petrel_mosquitto_disconnect_callback_set_fn
    let publishCallbackSet: petrel_mosquitto_publish_callback_set_fn
    let messageCallbackSet: petrel_mosquitto_message_callback_set_fn
    let publishV5: petrel_mosquitto_publish_v5_fn
    let subscribeV5: petrel_mosquitto_subscribe_v5_fn
    let connectAsync: petrel_mosquitto_connect_async_fn
    let reconnectAsync: petrel_mosquitto_reconnect_async_fn
    let loop: petrel_mosquitto_loop_fn
    let disconnect: petrel_mosquitto_disconnect_fn
    let strerror: petrel_mosquitto_strerror_fn
    let connackString: petrel_mosquitto_connack_string_fn
    let reasonString: petrel_mosquitto_reason_string_fn

    /// Opens the first of `names` that loads, resolves every function petrel
    /// uses and calls `mosquitto_lib_init`.
    static func load(names: [String]) -> Result<LibMosquitto, LibMosquittoError> {
        var failures: [String] = []
        var handle: UnsafeMutableRawPointer?
        for name in names {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
            failures.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
        }
        guard let handle else {
            return .failure(LibMosquittoError(detail: failures.joined(separator: "; ")))
        }
        func symbol<F>(_ name: String, _: F.Type) throws(LibMosquittoError) -> F {
            guard let p = dlsym(handle, name) else {
                let detail = dlerror().map { String(cString: $0) } ?? "\(name) not found"
                throw LibMosquittoError(detail: "\(detail) (libmosquitto 2.0 or later is needed)")
            }
            return unsafeBitCast(p, to: F.self)
        }
        do throws(LibMosquittoError) {
            let lib = LibMosquitto(
                libInit: try symbol("mosquitto_lib_init", petrel_mosquitto_lib_init_fn.self),
                new: try symbol("mosquitto_new", petrel_mosquitto_new_fn.self),
                destroy: try symbol("mosquitto_destroy", petrel_mosquitto_destroy_fn.self),
                userDataSet: try symbol("mosquitto_user_data_set", petrel_mosquitto_user_data_set_fn.self),
                intOption: try symbol("mosquitto_int_option", petrel_mosquitto_int_option_fn.self),
                threadedSet: try symbol("mosquitto_threaded_set", petrel_mosquitto_threaded_set_fn.self),
                usernamePwSet: try symbol("mosquitto_username_pw_set", petrel_mosquitto_username_pw_set_fn.self),
                tlsSet: try symbol("mosquitto_tls_set", petrel_mosquitto_tls_set_fn.self),
                tlsOptsSet: try symbol("mosquitto_tls_opts_set", petrel_mosquitto_tls_opts_set_fn.self),
                tlsInsecureSet: try symbol("mosquitto_tls_insecure_set", petrel_mosquitto_tls_insecure_set_fn.self),
                connectCallbackSet: try symbol("mosquitto_connect_callback_set", petrel_mosquitto_connect_callback_set_fn.self),
                disconnectCallbackSet: try symbol("mosquitto_disconnect_callback_set", petrel_mosquitto_disconnect_callback_set_fn.self),
                publishCallbackSet: try symbol("mosquitto_publish_callback_set", petrel_mosquitto_publish_callback_set_fn.self),
                messageCallbackSet: try symbol("mosquitto_message_callback_set", petrel_mosquitto_message_callback_set_fn.self),
                publishV5: try symbol("mosquitto_publish_v5", petrel_mosquitto_publish_v5_fn.self),
                subscribeV5: try symbol("mosquitto_subscribe_v5", petrel_mosquitto_subscribe_v5_fn.self),
                connectAsync: try symbol("mosquitto_connect_async", petrel_mosquitto_connect_async_fn.self),
                reconnectAsync: try symbol("mosquitto_reconnect_async", petrel_mosquitto_reconnect_async_fn.self),
                loop: try symbol("mosquitto_loop", petrel_mosquitto_loop_fn.self),
                disconnect: try symbol("mosquitto_disconnect", petrel_mosquitto_disconnect_fn.self),
                strerror: try symbol("mosquitto_strerror", petrel_mosquitto_strerror_fn.self),
                connackString: try symbol("mosquitto_connack_string", petrel_mosquitto_connack_string_fn.self),
                reasonString: try symbol("mosquitto_reason_string", petrel_mosquitto_reason_string_fn.self))
            _ = lib.libInit()
            return .success(lib)
        } catch {
            dlclose(handle)
            return .failure(error)
        }
    }
}

/// libmosquitto could not be loaded.
struct LibMosquittoError: Error, Sendable {
    var detail: String

    var reason: String {
        "libmosquitto is needed for the MQTT bridge and could not be loaded (\(detail)); "
            + "install the libmosquitto1 package (apt install libmosquitto1), or run scripts/setup"
    }
}
