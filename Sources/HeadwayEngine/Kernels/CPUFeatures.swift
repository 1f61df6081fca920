#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set features the engine is compiled for (`-target-cpu cascadelake` in Package.swift:
/// AVX2, FMA, F16C, AVX-512 F/BW/DQ/VL and VNNI), checked at model load so an older CPU gets an error, not SIGILL.
public enum CPUFeatures {
    /// `/proc/cpuinfo` flag names the build needs.
    public static let required = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"]

    /// The required flags this CPU lacks (empty when all are present, or when they cannot be read).
    public static let missing: [String] = {
        #if arch(x86_64) && os(Linux)
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            let text = String(cString: line!)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            return required.filter { !flags.contains($0) }
        }
        return []
        #else
        return []
        #endif
    }()

    /// Throws `unsupported-cpu` naming the missing features.
    public static func check() throws(EngineError) {
        let m = missing
        guard m.isEmpty else {
            throw EngineError(.unsupportedCPU,
                "this build of the engine needs a CPU with \(required.joined(separator: ", ")); missing: \(m.joined(separator: ", "))")
        }
    }
}
