// swift-tools-version:6.1
import PackageDescription

// Dependencies are named once here. Each carries the reason it is allowed.
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")  // CLI only
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")  // YAML scenario files (CLI/Simulator loading)
// HTTP server (`headway serve`): Hummingbird 2 on SwiftNIO; metrics through swift-metrics into a Prometheus registry.
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")

/// Kernels must be built for a CPU with AVX2 + FMA: `SIMD16<Float>` FMA otherwise lowers to per-lane libm calls (15x slower).
/// The engine is built for `cascadelake` (AVX-512 F/BW/DQ/VL + VNNI: Intel Cascade Lake / Ice Lake and later, AMD Zen 4
/// and later), for the `vpdpbusd` dot kernels. The binary needs those features: `LlamaModel` checks them at load
/// (`CPUFeatures.check()`) and throws `unsupported-cpu` rather than crashing with SIGILL.
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "cascadelake"])]

/// The `headway` executable carries the Swift runtime and Foundation inside it (Linux): as shared libraries they add
/// ~7 MB of resident memory (each library's touched pages, relocations and data), linked in they add ~2 MB.
/// - `-static-stdlib` when compiling makes the imported runtime modules name their static archives (and those archives'
///   own dependencies, e.g. `_FoundationICU`) for autolinking; when linking it picks `swift_static/` archives.
/// - `lld` with `-z pack-relative-relocs` (glibc ≥ 2.36) stores the ~80,000 relative relocations of the position-
///   independent binary in 15 kB (DT_RELR) instead of 1.9 MB of `.rela.dyn` that the loader reads, and keeps, at start.
/// - `-no-pie`: a position-dependent executable needs none of those relocations, so the loader does not write (and
///   make resident) the ~3 MB of data pages they point into; measured: peak resident memory of `headway generate`
///   with a full 2048-token context 1.3 MB lower. The cost: the executable's own code is not at a random address
///   (libraries, heap and stacks still are).
/// SwiftPM applies a target's linker settings to every product linking it, test bundles included, and a test bundle
/// cannot link the runtime statically (Swift Testing is a shared library). So no test target may depend on `headway`:
/// `HeadwayCLITests` runs the binary that `swift test` builds with all the package's products.
let staticRuntimeCompile: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
let staticRuntimeLink: [LinkerSetting] = [
    .unsafeFlags(
        ["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "-no-pie"],
        .when(platforms: [.linux]))
]

let package = Package(
    name: "Headway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "headway", targets: ["headway"]),
        .library(name: "HeadwayCore", targets: ["HeadwayCore"]),
        .library(name: "HeadwayGGUF", targets: ["HeadwayGGUF"]),
        .library(name: "HeadwayPlanner", targets: ["HeadwayPlanner"]),
        .library(name: "HeadwaySimulator", targets: ["HeadwaySimulator"]),
        .library(name: "HeadwayEngine", targets: ["HeadwayEngine"]),
        .library(name: "HeadwayServer", targets: ["HeadwayServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        // Without the ConfigurationSupport trait (swift-configuration is not used): less to build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "HeadwayCore"),
        .target(name: "HeadwayGGUF", dependencies: ["HeadwayCore"]),
        .target(name: "HeadwayPlanner", dependencies: ["HeadwayCore"]),
        // GLPK's C API, for the independent MILP check of the exact planner (tests only). No glpk.pc in Debian.
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK", providers: [.apt(["libglpk-dev"])]),
        .target(name: "HeadwaySimulator", dependencies: ["HeadwayCore", "HeadwayPlanner", yams]),
        .target(name: "HeadwayEngine", dependencies: ["HeadwayCore", "HeadwayGGUF"], swiftSettings: kernelSettings),
        // The OpenAI-compatible HTTP server; generation behind `InferenceBackend` (local engine or, later, the runtime).
        .target(name: "HeadwayServer", dependencies: ["HeadwayCore", "HeadwayEngine", hummingbird, metrics, prometheus]),
        .executableTarget(
            name: "headway",
            dependencies: [
                "HeadwayCore", "HeadwayGGUF", "HeadwayPlanner", "HeadwaySimulator", "HeadwayEngine", "HeadwayServer",
                argumentParser,
            ],
            swiftSettings: staticRuntimeCompile,
            linkerSettings: staticRuntimeLink
        ),
        // Shared by the test targets: finds the real model and the fixtures.
        .target(name: "HeadwayTestSupport", path: "Sources/HeadwayTestSupport"),
        .testTarget(name: "HeadwayCoreTests", dependencies: ["HeadwayCore"]),
        .testTarget(name: "HeadwayGGUFTests", dependencies: ["HeadwayGGUF", "HeadwayTestSupport"]),
        .testTarget(name: "HeadwayPlannerTests", dependencies: ["HeadwayCore", "HeadwayPlanner", "CGLPK"]),
        .testTarget(name: "HeadwaySimulatorTests", dependencies: ["HeadwayCore", "HeadwayPlanner", "HeadwaySimulator"]),
        // Runs `.build/<configuration>/headway`; no dependency on it (see `staticRuntimeLink`).
        .testTarget(name: "HeadwayCLITests", dependencies: ["HeadwayTestSupport"]),
        .testTarget(name: "HeadwayServerTests", dependencies: ["HeadwayServer", "HeadwayEngine", "HeadwayTestSupport"]),
        .testTarget(
            name: "HeadwayEngineTests", dependencies: ["HeadwayCore", "HeadwayGGUF", "HeadwayEngine", "HeadwayTestSupport"],
            swiftSettings: kernelSettings),
    ]
)
