// swift-tools-version:6.1
import PackageDescription

// Dependencies are named once here. Each carries the reason it is allowed.
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")  // CLI only
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")  // YAML scenario files (CLI/Simulator loading)
// TCP data plane of the runtime (HeadwayRuntimeNIO only): event loops, length-prefixed frames, TCP_NODELAY.
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
// Cluster authentication and link encryption (HeadwayRuntimeNIO only): HMAC-SHA256, HKDF, ChaCha20-Poly1305.
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
// HTTP server (`headway serve`): Hummingbird 2 on SwiftNIO; metrics through swift-metrics into a Prometheus registry.
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")

/// Every module is built for the baseline instruction set of its architecture (no `-target-cpu`): a module built for a
/// newer CPU leaks those instructions into the whole binary (the linker keeps one copy of each generic
/// specialisation, e.g. the standard library's sort, whichever module compiled it). The hot kernels live in the C
/// target `CHeadwayKernels`, one function per instruction set (`__attribute__((target(...)))`: AVX-512 VNNI, AVX2 +
/// FMA + F16C, NEON, portable), chosen once at load from CPUID (`KernelSet`).
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
        .library(name: "HeadwayRuntime", targets: ["HeadwayRuntime", "HeadwayRuntimeNIO"]),
        .library(name: "HeadwayServer", targets: ["HeadwayServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
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
        // The hot kernels, in C: one variant per instruction set, dispatched at load (see above).
        .target(name: "CHeadwayKernels", path: "Sources/CHeadwayKernels"),
        .target(name: "HeadwayEngine", dependencies: ["HeadwayCore", "HeadwayGGUF", "CHeadwayKernels"]),
        // Coordinator and worker state machines, wire format, migration, in-process transport (no networking).
        .target(name: "HeadwayRuntime", dependencies: ["HeadwayCore", "HeadwayGGUF", "HeadwayPlanner", "HeadwayEngine"]),
        // The SwiftNIO TCP transport and worker server beside it.
        .target(name: "HeadwayRuntimeNIO", dependencies: ["HeadwayRuntime", nioCore, nioPosix, crypto]),
        // The OpenAI-compatible HTTP server; generation behind `InferenceBackend` (local engine or the runtime).
        .target(name: "HeadwayServer", dependencies: ["HeadwayCore", "HeadwayEngine", hummingbird, metrics, prometheus]),
        .executableTarget(
            name: "headway",
            dependencies: ["HeadwayCore", "HeadwayGGUF", "HeadwayPlanner", "HeadwaySimulator", "HeadwayEngine",
                           "HeadwayRuntime", "HeadwayRuntimeNIO", "HeadwayServer", argumentParser],
            swiftSettings: staticRuntimeCompile,
            linkerSettings: staticRuntimeLink
        ),
        // Fuzz targets for every decoder of outside bytes (GGUF, model loader, K/V snapshots, scenario files), used by
        // `headway-fuzz` and by the corpus replay test.
        .target(
            name: "HeadwayFuzzTargets", dependencies: ["HeadwayCore", "HeadwayGGUF", "HeadwayEngine", "HeadwayPlanner", "HeadwaySimulator", "HeadwayRuntime"]),
        // libFuzzer entry points: `swift build --sanitize=fuzzer --product headway-fuzz` (scripts/fuzz.sh).
        .executableTarget(name: "headway-fuzz", dependencies: ["HeadwayFuzzTargets"]),
        // Shared by the test targets: finds the real model and the fixtures.
        .target(name: "HeadwayTestSupport", path: "Sources/HeadwayTestSupport"),
        .testTarget(name: "HeadwayCoreTests", dependencies: ["HeadwayCore"]),
        .testTarget(name: "HeadwayFuzzTests", dependencies: ["HeadwayFuzzTargets", "HeadwayTestSupport"]),
        .testTarget(name: "HeadwayGGUFTests", dependencies: ["HeadwayGGUF", "HeadwayTestSupport"]),
        .testTarget(name: "HeadwayPlannerTests", dependencies: ["HeadwayCore", "HeadwayPlanner", "CGLPK"]),
        .testTarget(name: "HeadwaySimulatorTests", dependencies: ["HeadwayCore", "HeadwayPlanner", "HeadwaySimulator"]),
        // Runs `.build/<configuration>/headway`; no dependency on it (see `staticRuntimeLink`).
        .testTarget(name: "HeadwayCLITests", dependencies: ["HeadwayTestSupport"]),
        .testTarget(name: "HeadwayServerTests", dependencies: ["HeadwayServer", "HeadwayEngine", "HeadwayTestSupport"]),
        .testTarget(
            name: "HeadwayRuntimeTests",
            dependencies: ["HeadwayCore", "HeadwayPlanner", "HeadwayEngine", "HeadwayRuntime", "HeadwayRuntimeNIO",
                           "HeadwayTestSupport"]),
        .testTarget(
            name: "HeadwayEngineTests", dependencies: ["HeadwayCore", "HeadwayGGUF", "HeadwayEngine", "HeadwayTestSupport"]),
    ]
)
