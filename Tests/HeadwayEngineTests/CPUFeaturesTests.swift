import HeadwayEngine
import Testing

@Suite struct CPUFeaturesTests {
    /// The engine is compiled for AVX-512 VNNI (Package.swift); the machine running the tests must have it, and the
    /// load-time check must agree.
    @Test func buildFeaturesArePresent() throws {
        #if arch(x86_64) && os(Linux)
        #expect(CPUFeatures.required.contains("avx512_vnni"))
        #expect(CPUFeatures.missing.isEmpty, "missing: \(CPUFeatures.missing)")
        try CPUFeatures.check()
        #endif
    }
}
