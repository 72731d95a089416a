// swift-tools-version:6.2
// Petrel: a Zenoh 1.x edge agent for Linux boards.
//
// Layers, bottom up (see docs/architecture in the README): the pure layers
// (PetrelTime, PetrelKeyExpr, PetrelWire) use the Swift standard library only,
// so they can be tested exhaustively and fuzzed on their own.
import PackageDescription

let package = Package(
    name: "Petrel",
    products: [
        .library(name: "PetrelWire", targets: ["PetrelWire"]),
        .library(name: "PetrelKeyExpr", targets: ["PetrelKeyExpr"]),
        .library(name: "PetrelTime", targets: ["PetrelTime"]),
        .library(name: "PetrelTransport", targets: ["PetrelTransport"]),
        .library(name: "PetrelSession", targets: ["PetrelSession"]),
        .executable(name: "petrel", targets: ["petrel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Pure layers: standard library only.
        .target(name: "PetrelTime"),
        .target(name: "PetrelKeyExpr"),
        .target(name: "PetrelWire", dependencies: ["PetrelTime"]),
        // The system layer: POSIX files and directories, threads of their own,
        // a small JSON writer (no Foundation), CRC-32C (Glibc and the standard library only; PetrelWire keeps its own
        // serial CRC-32, since the codec must stay standard-library-only).
        .target(name: "PetrelSystem"),

        // The serial port wrapper over libserialport (Debian: libserialport-dev), with
        // a termios fallback: shared by the serial sensor bridge and Zenoh's serial link.
        .systemLibrary(name: "CSerialPort", pkgConfig: "libserialport", providers: [.apt(["libserialport-dev"])]),
        .target(name: "PetrelSerialPort", dependencies: ["CSerialPort"]),
        // Links and transport (SwiftNIO), the session API, the petrel executable.
        .target(name: "PetrelTransport", dependencies: [
            "PetrelWire", "PetrelTime", "PetrelSerialPort",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            // TLS links (tls/HOST:PORT): BoringSSL inside, this target only.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "PetrelSession", dependencies: [
            "PetrelTransport", "PetrelKeyExpr", "PetrelWire", "PetrelTime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The gateway role: devices' sessions accepted on listen endpoints, carried upstream.
        .target(name: "PetrelGateway", dependencies: [
            "PetrelSession", "PetrelTransport", "PetrelKeyExpr", "PetrelWire", "PetrelTime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The MQTT bridge over libmosquitto: its headers at build time (Debian:
        // libmosquitto-dev); the library itself (libmosquitto1) is loaded with dlopen
        // only when an `mqtt` section is configured, so no pkgConfig (it would link
        // it, and libssl/libcrypto with it, into every petrel process).
        .systemLibrary(name: "CMosquitto"),
        .target(name: "PetrelMQTT", dependencies: [
            "CMosquitto", "PetrelSystem", "PetrelSession", "PetrelKeyExpr", "PetrelWire",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The serial sensor bridge (ports through PetrelSerialPort).
        .target(name: "PetrelSerial", dependencies: [
            "CSerialPort", "PetrelSerialPort", "PetrelSystem", "PetrelSession", "PetrelKeyExpr", "PetrelWire", "PetrelTime",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The agent daemon: configuration file, bridges, storage, systemd integration.
        .target(name: "PetrelAgent", dependencies: [
            "PetrelSession", "PetrelTransport", "PetrelGateway", "PetrelTime", "PetrelKeyExpr", "PetrelWire", "PetrelMQTT", "PetrelSerial", "PetrelStorage", "PetrelHotStore", "PetrelSystem",
            "PetrelReplication", "PetrelAlignment",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // No swift-argument-parser here: it imports FoundationEssentials, 8 MB of
        // the binary (Sources/petrel/CommandLineSyntax.swift says more).
        .executableTarget(name: "petrel", dependencies: [
            "PetrelSession", "PetrelAgent", "PetrelTransport", "PetrelWire",
            .product(name: "Logging", package: "swift-log"),
            "PetrelReplication", "PetrelAlignment", "PetrelHotStore", "PetrelKeyExpr", "PetrelTime", "PetrelSystem",
        ]),

        // The durable offline buffer (segments, CRC-32C per record, fsync policies, group commit).
        .target(name: "PetrelStorage", dependencies: ["PetrelTime", "PetrelSystem"]),
        // Appends as fast as it can and reports what is durable; the power-cut test SIGKILLs it.
        .executableTarget(name: "log-crash-writer", dependencies: ["PetrelStorage", "PetrelTime"], path: "Tests/LogCrashWriter"),
        .testTarget(name: "PetrelStorageTests", dependencies: ["PetrelStorage", "PetrelSystem", "PetrelTime", "log-crash-writer"]),
        // The hot-era store (key/value and time series, bounded by age, count and bytes) and Zenoh's _time ranges.
        .target(name: "PetrelHotStore", dependencies: ["PetrelTime", "PetrelKeyExpr", "PetrelSystem"]),
        .testTarget(name: "PetrelHotStoreTests", dependencies: ["PetrelHotStore", "PetrelTime", "PetrelKeyExpr"]),
        // Shared by the test targets: the seeded random generator.
        .target(name: "PetrelTestSupport", dependencies: [.product(name: "Logging", package: "swift-log")],
                path: "Tests/PetrelTestSupport"),
        .testTarget(name: "PetrelTimeTests", dependencies: ["PetrelTime"]),
        .testTarget(name: "PetrelSystemTests", dependencies: ["PetrelSystem", "PetrelTestSupport"]),
        .testTarget(name: "PetrelKeyExprTests", dependencies: ["PetrelKeyExpr", "PetrelTestSupport"]),
        .testTarget(
            name: "PetrelWireTests",
            dependencies: ["PetrelWire", "PetrelTime", "PetrelTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "PetrelTransportTests", dependencies: [
            "PetrelTransport", "PetrelWire", "PetrelTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Zenoh's serial link over socat pty pairs (needs socat).
        .testTarget(name: "PetrelSerialLinkTests", dependencies: [
            "PetrelTransport", "PetrelSerialPort", "PetrelWire", "PetrelTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "PetrelSessionTests", dependencies: ["PetrelSession", "PetrelWire", "PetrelTime", "PetrelKeyExpr"]),
        // The README's library example, as written: it imports PetrelSession and nothing else.
        .testTarget(name: "PetrelSessionExampleTests", dependencies: ["PetrelSession"]),
        .testTarget(name: "PetrelGatewayTests", dependencies: [
            "PetrelGateway", "PetrelSession", "PetrelTransport", "PetrelKeyExpr", "PetrelWire", "PetrelTime",
            "PetrelTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PetrelMQTTTests", dependencies: ["PetrelMQTT", "PetrelKeyExpr"]),
        .testTarget(name: "PetrelSerialTests", dependencies: ["PetrelSerial", "PetrelKeyExpr", "PetrelTestSupport"]),
        .testTarget(name: "PetrelAgentTests", dependencies: [
            "PetrelAgent", "PetrelTransport", "PetrelKeyExpr", "PetrelTime", "PetrelSession", "PetrelSystem", "PetrelTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Against a real Zenoh router and Zenoh's Python API (scripts/setup installs them).
        .testTarget(name: "PetrelInteropTests", dependencies: [
            "PetrelSession", "PetrelTransport", "PetrelSerial", "PetrelWire", "PetrelKeyExpr", "PetrelTime", "PetrelTestSupport",
            .product(name: "Logging", package: "swift-log"),
            // Links opened directly (UnicastTransport.connect) by the auth and TLS tests.
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // The transport state machine under fuzzing (Fuzz/README.md): a library, so scripts/fuzz-transport can build
        // it with -sanitize=fuzzer and the unit tests can run it seeded.
        .target(name: "PetrelTransportFuzz", dependencies: [
            "PetrelTransport", "PetrelWire", "PetrelTime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Fuzz/TransportFuzz"),
        .testTarget(name: "PetrelTransportFuzzTests", dependencies: ["PetrelTransportFuzz", "PetrelTestSupport"]),
        // Anti-entropy alignment (issue #14): eras, fingerprints, rateless set reconciliation.
        .target(name: "PetrelAlignment", dependencies: ["PetrelTime", "PetrelKeyExpr"]),
        .testTarget(name: "PetrelAlignmentTests", dependencies: ["PetrelAlignment", "PetrelTime", "PetrelKeyExpr", "PetrelTestSupport"]),
        // Reconciliation cost vs. the naive scheme, fingerprint update and digest costs.
        .executableTarget(name: "align-bench", dependencies: ["PetrelAlignment", "PetrelTime", "PetrelKeyExpr", "PetrelTestSupport"],
                          path: "Benchmarks/AlignBench"),

        // Benchmarks (scripts/bench): codec speed and allocations per operation.
        .target(name: "CAllocCounter", path: "Benchmarks/CAllocCounter"),
        .executableTarget(
            name: "petrel-bench",
            dependencies: ["PetrelWire", "PetrelKeyExpr", "PetrelSystem", "CAllocCounter"],
            path: "Benchmarks/PetrelBench"
        ),
        // Offline log appends/s per fsync policy, replay rate (scripts/bench).
        .executableTarget(name: "log-bench", dependencies: ["PetrelStorage", "PetrelTime", "PetrelSystem"], path: "Benchmarks/LogBench"),
        // Hot store get latency and memory per entry (scripts/bench).
        .target(name: "CHeapStats", path: "Benchmarks/CHeapStats"),
        .executableTarget(name: "store-bench", dependencies: ["PetrelHotStore", "PetrelTime", "PetrelKeyExpr", "CHeapStats"],
                          path: "Benchmarks/StoreBench"),
        // Session throughput and latency through a real router (scripts/bench).
        .executableTarget(
            name: "petrel-perf",
            dependencies: ["PetrelSession", "PetrelTransport", "PetrelWire",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/PetrelPerf"
        ),

        // Anti-entropy alignment in processes (#14): `petrel replica`, the edge's aligned storages,
        // digests and the aligner queryable over a session, around PetrelAlignment's protocol.
        .target(name: "PetrelReplication", dependencies: [
            "PetrelAlignment", "PetrelHotStore", "PetrelSession", "PetrelTransport", "PetrelKeyExpr", "PetrelTime", "PetrelSystem",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PetrelReplicationTests", dependencies: [
            "PetrelReplication", "PetrelAlignment", "PetrelHotStore", "PetrelKeyExpr", "PetrelTime", "PetrelTestSupport",
        ]),
    ]
)
