import CHeadwayKernels

/// The instruction-set variants of the hot kernels (the C target `CHeadwayKernels`). One is chosen at load: the
/// best this CPU runs, or the one the environment variable `HEADWAY_KERNELS` names; `use(_:)` switches before the
/// kernels are in use (a command-line flag). Every set is tested against the portable set, the reference.
public enum KernelSet: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain C for the baseline instruction set (x86-64 SSE2, arm64 NEON): runs everywhere.
    case portable
    /// SSSE3 + SSE4.1 (x86-64 without AVX2: Intel Atom / Celeron / Pentium Silver, Core 2 to Ivy Bridge, AMD Jaguar
    /// and Bulldozer).
    case sse4
    /// AVX2 + FMA + F16C (x86-64 since Intel Haswell and AMD Zen).
    case avx2
    /// AVX-512 F/BW/DQ/VL + VNNI (Intel Cascade Lake / Ice Lake and later, AMD Zen 4 and later).
    case avx512VNNI = "avx512-vnni"
    /// NEON with the x86 sets' lane layout (arm64).
    case neon

    /// The environment variable that picks a set at load.
    public static let environmentVariable = "HEADWAY_KERNELS"

    public var description: String { rawValue }

    var cValue: hw_kernel_set {
        switch self {
        case .portable: HW_KERNELS_PORTABLE
        case .sse4: HW_KERNELS_SSE4
        case .avx2: HW_KERNELS_AVX2
        case .avx512VNNI: HW_KERNELS_AVX512_VNNI
        case .neon: HW_KERNELS_NEON
        }
    }

    init(_ c: hw_kernel_set) {
        self = KernelSet.allCases.first { $0.cValue.rawValue == c.rawValue } ?? .portable
    }

    /// Whether this build and this CPU run the set.
    public var isSupported: Bool { hw_kernels_table(cValue) != nil }

    /// The sets this CPU runs, slowest first.
    public static var available: [KernelSet] { allCases.filter(\.isSupported) }

    /// The fastest set this CPU runs.
    public static var best: KernelSet { KernelSet(hw_kernels_best()) }

    /// The set in use.
    public static var active: KernelSet { KernelSet(hw_kernels_active().pointee.set) }

    /// Parses a set's name ("portable", "sse4", "avx2", "avx512-vnni", "neon").
    public static func named(_ name: String) throws(EngineError) -> KernelSet {
        guard let set = KernelSet(rawValue: name) else {
            throw EngineError(.invalidArgument,
                "kernel set '\(name)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return set
    }

    /// Makes `set` the one in use; call before the kernels run (not while other threads use them).
    /// - Throws: `unsupported-cpu` naming the set and the CPU's features when this CPU cannot run it.
    public static func use(_ set: KernelSet) throws(EngineError) {
        guard hw_kernels_use(set.cValue) == 0 else {
            throw EngineError(.unsupportedCPU,
                "kernel set '\(set)' needs instructions this CPU lacks (it has: \(CPUFeatures.description)); available: \(available.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Throws when `HEADWAY_KERNELS` named a set that is unknown or that this CPU cannot run.
    public static func checkEnvironment() throws(EngineError) {
        guard let bad = hw_kernels_environment_error() else { return }
        let name = String(cString: bad)
        let set = try named(name)
        throw EngineError(.unsupportedCPU,
            "\(environmentVariable)=\(name): this CPU cannot run kernel set '\(set)' (it has: \(CPUFeatures.description)); available: \(available.map(\.rawValue).joined(separator: ", "))")
    }

    /// The set's function table.
    @inline(__always)
    var table: UnsafePointer<hw_kernels> {
        guard let t = hw_kernels_table(cValue) else { preconditionFailure("kernel set \(self) is not supported on this CPU") }
        return t
    }
}

extension Kernels {
    /// The function table of `set`, or of the set in use.
    @inline(__always)
    static func table(_ set: KernelSet? = nil) -> UnsafePointer<hw_kernels> {
        set?.table ?? hw_kernels_active()
    }
}
