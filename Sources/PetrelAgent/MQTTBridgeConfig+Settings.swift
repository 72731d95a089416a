import PetrelMQTT
import PetrelTime

extension MQTTBridgeConfig {
    /// The bridge's settings for this section; the client id defaults to
    /// `petrel-<zid>` so two agents on one broker do not knock each other off.
    func bridgeSettings(zid: ZenohID) -> MQTTBridgeSettings {
        var client = MosquittoClient.Options(host: broker.host, port: broker.port, clientID: clientID ?? "petrel-\(zid)")
        client.username = username
        client.password = password
        client.keepAliveSeconds = keepAliveSeconds
        client.cleanSession = cleanSession
        client.tls = tls.map { MosquittoClient.TLS(caFile: $0.caFile, certFile: $0.certFile, keyFile: $0.keyFile, insecure: $0.insecure) }
        let mappings = mappings.map { m in
            MQTTBridgeSettings.Mapping(topic: m.topic, key: m.key, direction: MQTTBridgeSettings.Direction(rawValue: m.direction.rawValue) ?? .inbound,
                                       qos: m.qos, retain: m.retain)
        }
        var settings = MQTTBridgeSettings(client: client, mappings: mappings)
        settings.queueMaxMessages = queue.maxMessages
        settings.queueMaxBytes = queue.maxBytes
        return settings
    }
}
