import CHeadwayKernels

/// What the CPU offers the kernels, read once at load (CPUID and the OS's saved registers) by the kernel library.
/// The engine itself is built for the baseline instruction set of its architecture, so every CPU of that
/// architecture runs it; faster instructions are used only inside the kernel set chosen at run time (`KernelSet`).
public enum CPUFeatures {
    /// The features found, e.g. "avx2 fma f16c avx512f avx512bw avx512dq avx512vl avx512_vnni" (for messages).
    public static var description: String { String(cString: hw_cpu_features()) }

    /// Throws `unsupported-cpu` when `HEADWAY_KERNELS` asks for a kernel set this CPU cannot run, or `invalid-argument`
    /// when it names no kernel set (the best set is in use meanwhile).
    public static func check() throws(EngineError) {
        try KernelSet.checkEnvironment()
    }
}
