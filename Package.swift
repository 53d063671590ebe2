// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Yingji",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "yingji", targets: ["yingji"]),
        .library(name: "YingjiCore", targets: ["YingjiCore"]),
        .library(name: "YingjiPlans", targets: ["YingjiPlans"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // Domain, Foundation only: plans, grading, response authority, obligations.
        .target(name: "YingjiCore"),
        // Reads plan YAML files into YingjiCore.Plan and resolves inheritance.
        .target(
            name: "YingjiPlans",
            dependencies: ["YingjiCore", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "yingji",
            dependencies: [
                "YingjiCore", "YingjiPlans",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "YingjiCoreTests", dependencies: ["YingjiCore", "YingjiPlans"]),
        .testTarget(name: "YingjiPlansTests", dependencies: ["YingjiPlans", "YingjiCore"]),
        .testTarget(name: "YingjiCLITests", dependencies: ["yingji"]),
    ]
)
