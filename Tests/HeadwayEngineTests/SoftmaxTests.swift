import Foundation
import HeadwayEngine
import Testing

/// The SIMD softmax (vector e^x) against the scalar `expf` reference.
@Suite struct SoftmaxTests {
    @Test(arguments: [1, 5, 16, 17, 31, 64, 100, 1000])
    func matchesTheReference(count: Int) {
        var state: UInt64 = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        // Scores spread over the whole range that matters, including some far below the maximum (e^x underflows).
        // Tolerance: e^x within a few ulp, and the sum in 16 lanes instead of one (the common 1 / sum moves ~1e-6).
        let input = (0..<count).map { i in i % 7 == 3 ? -120 * next() : 30 * next() - 15 }
        var slow = input
        slow.withUnsafeMutableBufferPointer { Kernels.softmaxReference($0.baseAddress!, count: count) }
        for set in KernelSet.available {
            var fast = input
            fast.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: count, kernels: set) }
            for i in 0..<count {
                #expect(abs(fast[i] - slow[i]) <= 2e-6 * max(slow[i], 1e-30) + 1e-37,
                        "\(set): count \(count), element \(i): \(fast[i]) vs \(slow[i])")
            }
            #expect(abs(fast.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func extremeInputsGiveNoNaNOrCrash() {
        for set in KernelSet.available {
            var x: [Float] = [0, -.infinity, -1e30, -87.2, -87.4, -200] + [Float](repeating: -3, count: 20)
            x.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: $0.count, kernels: set) }
            #expect(x.allSatisfy { $0.isFinite && $0 >= 0 }, "\(set)")
            #expect(x[1] == 0 && x[2] == 0 && x[5] == 0, "\(set)")
        }
    }
}
