// swift-tools-version:6.0
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
    ],
    targets: [
        // Pure layers: standard library only.
        .target(name: "PetrelTime"),
        .target(name: "PetrelKeyExpr"),
        .target(name: "PetrelWire", dependencies: ["PetrelTime"]),

        .testTarget(name: "PetrelTimeTests", dependencies: ["PetrelTime"]),
        .testTarget(name: "PetrelKeyExprTests", dependencies: ["PetrelKeyExpr"]),
        .testTarget(
            name: "PetrelWireTests",
            dependencies: ["PetrelWire", "PetrelTime"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
