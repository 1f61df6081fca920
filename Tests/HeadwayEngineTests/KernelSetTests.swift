import Foundation
import HeadwayEngine
import Testing

/// The kernel set chosen at load, the sets this CPU runs, and the vector kernels of every set against plain Swift.
@Suite struct KernelSetTests {
    @Test func theBestSetIsAvailableAndPortableAlwaysIs() throws {
        let available = KernelSet.available
        #expect(available.contains(.portable))
        #expect(available.contains(KernelSet.best))
        #if arch(x86_64)
        #expect(!available.contains(.neon))
        #elseif arch(arm64)
        #expect(KernelSet.best == .neon)
        #endif
        // Without HEADWAY_KERNELS the set in use is the best; with it, the named one.
        if let name = ProcessInfo.processInfo.environment[KernelSet.environmentVariable], !name.isEmpty {
            #expect(KernelSet.active.rawValue == name)
        } else {
            #expect(KernelSet.active == KernelSet.best)
        }
        try CPUFeatures.check()
        #expect(!CPUFeatures.description.isEmpty)
    }

    @Test func unknownAndUnsupportedSetsAreRefusedWithTheirName() {
        #expect(throws: EngineError.self) { try KernelSet.named("sse9") }
        do {
            _ = try KernelSet.named("sse9")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("sse9"))
        }
        for set in KernelSet.allCases where !set.isSupported {
            do {
                try KernelSet.use(set)
                Issue.record("\(set) accepted on a CPU without it")
            } catch {
                #expect(error.code == .unsupportedCPU && error.message.contains(set.rawValue))
            }
        }
    }

    @Test func everyF16RoundingMatchesSwift() {
        // All finite and special values around the F16 range, and random floats.
        var xs: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 65536, 1e9, -1e9, .infinity, -.infinity,
                           6.1035156e-05, 6.1e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 1e-10, 0.1, 1.0 / 3]
        var rng = SplitMix64(seed: 99)
        for _ in 0..<4000 {
            let e = Float(Int(rng.next() % 40)) - 28
            xs.append((rng.nextUnitFloat() * 2 - 1) * powf(2, e))
        }
        for set in KernelSet.available {
            var y = xs
            y.withUnsafeMutableBufferPointer { Kernels.roundToHalf($0.baseAddress!, count: $0.count, kernels: set) }
            for (a, b) in zip(y, xs) {
                #expect(a.bitPattern == Float(Float16(b)).bitPattern, "\(set): \(b) → \(a), Swift \(Float(Float16(b)))")
            }
        }
    }
}
