// swift-tools-version:6.0
// The LAMSCN iOS demo's Swift package: a Foundation-only core that builds and tests on Linux, the
// Core ML classifier (Apple only), and a headless runner. The SwiftUI app (ios_demo/App) uses this
// package as a local package.
import PackageDescription

let package = Package(
    name: "LAMSCNECG",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "ECGCore", targets: ["ECGCore"]),
        .library(name: "ECGCoreML", targets: ["ECGCoreML"]),
        .executable(name: "ecg-stream", targets: ["ECGStreamRunner"]),
    ],
    targets: [
        .target(name: "ECGCore"),
        // The Core ML classifier: Apple platforms only (its source is empty where CoreML is absent).
        .target(name: "ECGCoreML", dependencies: ["ECGCore"]),
        .executableTarget(name: "ECGStreamRunner", dependencies: ["ECGCore"]),
        .testTarget(name: "ECGCoreTests", dependencies: ["ECGCore", "ECGCoreML"]),
    ],
    swiftLanguageModes: [.v6]
)
