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
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.0.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.0.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Domain, Foundation only: plans, grading, response authority, obligations, incidents, timeline.
        .target(name: "YingjiCore"),
        // Reads plan YAML files into YingjiCore.Plan and resolves inheritance.
        .target(
            name: "YingjiPlans",
            dependencies: ["YingjiCore", .product(name: "Yams", package: "Yams")]
        ),
        // Repositories over SQLKit: numbered migrations, SQLite (default) and PostgreSQL.
        .target(
            name: "YingjiStore",
            dependencies: [
                "YingjiCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The HTTP server: JSON API, accounts, idempotency, events, metrics, web pages.
        .target(
            name: "YingjiServer",
            dependencies: [
                "YingjiCore", "YingjiPlans", "YingjiStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The web pages: Mustache templates, the Chinese strings, CSS and JS.
            resources: [.copy("Web/Templates"), .copy("Web/Static"), .copy("Web/Strings")]
        ),
        // The Swift runtime's global-enqueue hook, reached by its symbol (see the header).
        .target(name: "CYingjiJobHook"),
        .executableTarget(
            name: "yingji",
            dependencies: [
                "YingjiCore", "YingjiPlans", "YingjiStore", "YingjiServer", "CYingjiJobHook",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Test helpers shared by the test targets (their scratch directory).
        .target(name: "YingjiTestSupport", path: "Tests/Support"),
        .testTarget(name: "YingjiCoreTests", dependencies: ["YingjiCore", "YingjiPlans"]),
        .testTarget(name: "YingjiPlansTests", dependencies: ["YingjiPlans", "YingjiCore"]),
        .testTarget(
            name: "YingjiStoreTests",
            dependencies: [
                "YingjiStore", "YingjiCore", "YingjiPlans", "YingjiTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "YingjiServerTests",
            dependencies: [
                "YingjiServer", "YingjiStore", "YingjiCore", "YingjiPlans", "YingjiTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "YingjiCLITests", dependencies: ["yingji", "YingjiStore", "YingjiCore", "YingjiPlans", "YingjiTestSupport"]),
    ]
)
