// libmosquitto, the Eclipse Mosquitto MQTT client library (Debian: libmosquitto-dev).
#include <mosquitto.h>
#include <mqtt_protocol.h>
