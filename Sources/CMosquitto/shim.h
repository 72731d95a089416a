// libmosquitto, the Eclipse Mosquitto MQTT client library (Debian: libmosquitto-dev
// for these headers, libmosquitto1 at run time).
//
// Only the headers are used at build time: petrel does not link libmosquitto
// (it pulls in libssl and libcrypto, ~1.7 MB of resident memory), it loads it
// with dlopen when a configuration has an `mqtt` section (PetrelMQTT's
// LibMosquitto). The typedefs below are the types of the functions it looks up
// with dlsym, taken from the declarations so they cannot drift from them.
#include <mosquitto.h>
#include <mqtt_protocol.h>

typedef __typeof__(mosquitto_lib_init) *petrel_mosquitto_lib_init_fn;
typedef __typeof__(mosquitto_new) *petrel_mosquitto_new_fn;
typedef __typeof__(mosquitto_destroy) *petrel_mosquitto_destroy_fn;
typedef __typeof__(mosquitto_user_data_set) *petrel_mosquitto_user_data_set_fn;
typedef __typeof__(mosquitto_int_option) *petrel_mosquitto_int_option_fn;
typedef __typeof__(mosquitto_threaded_set) *petrel_mosquitto_threaded_set_fn;
typedef __typeof__(mosquitto_username_pw_set) *petrel_mosquitto_username_pw_set_fn;
typedef __typeof__(mosquitto_tls_set) *petrel_mosquitto_tls_set_fn;
typedef __typeof__(mosquitto_tls_opts_set) *petrel_mosquitto_tls_opts_set_fn;
typedef __typeof__(mosquitto_tls_insecure_set) *petrel_mosquitto_tls_insecure_set_fn;
typedef __typeof__(mosquitto_connect_callback_set) *petrel_mosquitto_connect_callback_set_fn;
typedef __typeof__(mosquitto_disconnect_callback_set) *petrel_mosquitto_disconnect_callback_set_fn;
typedef __typeof__(mosquitto_publish_callback_set) *petrel_mosquitto_publish_callback_set_fn;
typedef __typeof__(mosquitto_message_callback_set) *petrel_mosquitto_message_callback_set_fn;
typedef __typeof__(mosquitto_publish_v5) *petrel_mosquitto_publish_v5_fn;
typedef __typeof__(mosquitto_subscribe_v5) *petrel_mosquitto_subscribe_v5_fn;
typedef __typeof__(mosquitto_connect_async) *petrel_mosquitto_connect_async_fn;
typedef __typeof__(mosquitto_reconnect_async) *petrel_mosquitto_reconnect_async_fn;
typedef __typeof__(mosquitto_loop) *petrel_mosquitto_loop_fn;
typedef __typeof__(mosquitto_disconnect) *petrel_mosquitto_disconnect_fn;
typedef __typeof__(mosquitto_strerror) *petrel_mosquitto_strerror_fn;
typedef __typeof__(mosquitto_connack_string) *petrel_mosquitto_connack_string_fn;
typedef __typeof__(mosquitto_reason_string) *petrel_mosquitto_reason_string_fn;
