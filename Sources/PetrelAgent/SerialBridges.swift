import Logging
import PetrelSerial
import PetrelSession

/// The agent's serial sensor bridges, one per `serial` config entry.
final class SerialBridgeGroup: Sendable {
    let bridges: [SerialSensorBridge]

    private init(bridges: [SerialSensorBridge]) {
        self.bridges = bridges
    }

    /// Starts a bridge per entry. A port that is not plugged in yet does not
    /// stop anything: its bridge retries in the background (and logs).
    ///
    /// - Throws: when a bridge cannot start (its tx subscriber cannot be
    ///   declared); bridges already started are stopped first.
    static func start(_ entries: [SerialSourceConfig], session: Session, uplink: Uplink?, logger: Logger) async throws -> SerialBridgeGroup? {
        guard !entries.isEmpty else { return nil }
        var started: [SerialSensorBridge] = []
        for entry in entries {
            do {
                // Readings go upstream through the uplink, so those taken while
                // no router is connected wait in the offline buffer.
                var publish: (@Sendable (String, [UInt8], PutOptions) async throws -> Void)?
                if let uplink {
                    let clock = session.clock
                    publish = { @Sendable key, payload, options in
                        await uplink.publish(UplinkSample(kind: .put, key: key, payload: payload, encoding: options.encoding,
                                                          timestamp: options.timestamp ?? clock.newTimestamp()))
                    }
                }
                let bridge = try SerialSensorBridge(settings: entry.bridgeSettings, session: session, logger: logger, publish: publish)
                try await bridge.start()
                started.append(bridge)
            } catch {
                for b in started { await b.stop() }
                throw error
            }
        }
        return SerialBridgeGroup(bridges: started)
    }

    /// Stops every bridge, logging what each did.
    func stop(logger: Logger) async {
        for bridge in bridges {
            await bridge.stop()
            let s = bridge.snapshot()
            logger.info("serial bridge stopped: \(s.port)", metadata: [
                "lines": "\(s.lines)", "samples": "\(s.samples)", "errors": "\(s.errors)",
                "reconnects": "\(s.reconnects)", "tx": "\(s.txMessages)",
            ])
        }
    }
}

extension SerialSourceConfig {
    /// The bridge's settings for this entry.
    var bridgeSettings: SerialBridgeSettings {
        let format: SerialFormat = switch self.format {
        case .lines: .lines
        case .keyValue: .keyValue
        case .json: .json
        case .csv: .csv
        }
        var s = SerialBridgeSettings(port: port, key: key, format: format, baudrate: baudrate, txKey: txKey)
        s.columns = columns
        s.separator = separator
        return s
    }
}

extension Agent {
    /// The running serial sensor bridges (empty before `start()` and after `stop()`).
    public var serialBridges: [SerialSensorBridge] { serialBridgeGroup?.bridges ?? [] }
}
