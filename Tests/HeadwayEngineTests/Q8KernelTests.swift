import HeadwayEngine
import Testing

@Suite struct Q8KernelTests {
    @Test(arguments: [1, 3, 4])
    func fastActivationQuantizationIsBitIdentical(tokens: Int) {
        let cols = 96
        let x = randomFloats(tokens * cols, seed: 3, scale: 4)
        var x2 = x
        x2[5] = 0  // a zero and a block of zeros
        for i in 32..<64 { x2[i] = 0 }
        for input in [x, x2] {
            var a = [Float](repeating: 0, count: Q8Activations.floatCount(tokens: tokens, cols: cols))
            var b = a
            a.withUnsafeMutableBufferPointer { ab in
                b.withUnsafeMutableBufferPointer { bb in
                    let qa = Q8Activations(carving: ab.baseAddress!, tokens: tokens, cols: cols)
                    let qb = Q8Activations(carving: bb.baseAddress!, tokens: tokens, cols: cols)
                    Kernels.quantizeActivationsReference(input, into: qa)
                    for set in KernelSet.available {
                        Kernels.quantizeActivations(input, into: qb, kernels: set)
                        for i in 0..<(tokens * cols) { #expect(qa.qs[i] == qb.qs[i], "\(set): q[\(i)]") }
                        for i in 0..<(tokens * cols / 32) {
                            #expect(qa.scales[i] == qb.scales[i] && qa.sums[i] == qb.sums[i], "\(set): block \(i)")
                        }
                    }
                    for i in 0..<(tokens * cols / 32) {
                        // Dequantized values are within half a step of the input.
                        for j in 0..<32 {
                            let err = abs(Float(qa.qs[32 * i + j]) * qa.scales[i] - input[32 * i + j])
                            // Half a step, plus the F16 rounding of the scale over up to 127 steps (127 · 2⁻¹¹ ≈ 0.062).
                            #expect(err <= qa.scales[i] * 0.57 + 1e-6)
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: WeightType.allCases, [1, 2, 5])
    func fastQ8MatMulMatchesReference(_ type: WeightType, tokens: Int) {
        let pool = WorkerPool(threads: 2)
        for (i, shape) in MatVecTests.shapes.enumerated() {
            let w = WeightMatrix(quantizing: randomFloats(shape.rows * shape.cols, seed: 70 + UInt64(i)),
                                 rows: shape.rows, cols: shape.cols, as: type)
            let x = randomFloats(tokens * shape.cols, seed: 300 + UInt64(i))
            var scratch = [Float](repeating: 0, count: Q8Activations.floatCount(tokens: tokens, cols: shape.cols))
            var ref = [Float](repeating: 0, count: tokens * shape.rows)
            var exact = ref
            var outputs: [[Float]] = []
            scratch.withUnsafeMutableBufferPointer { s in
                let xq = Q8Activations(carving: s.baseAddress!, tokens: tokens, cols: shape.cols)
                Kernels.quantizeActivations(x, into: xq)
                Kernels.matMulQ8Reference(w, x, xq, n: tokens, &ref)
                for set in KernelSet.available {
                    var fast = [Float](repeating: .nan, count: tokens * shape.rows)
                    Kernels.matMulQ8(w, x, xq, n: tokens, &fast, pool: pool, kernels: set)
                    outputs.append(fast)
                }
            }
            Kernels.matMulReference(w, x, n: tokens, &exact)
            let sets = KernelSet.available
            for (b, fast) in outputs.enumerated() {
                let diff = maxAbsDiff(ref, fast)
                #expect(diff <= 1e-4 * Float(shape.cols).squareRoot(), "\(type) \(shape) n=\(tokens) \(sets[b]): maxDiff \(diff)")
            }
            // Every set sums in the same lane layout and order with fused multiply-adds (emulated in double by the
            // portable set on CPUs without FMA, which can differ from a fused operation on an exact tie): each set
            // agrees with the portable one (outputs[0]) to 1e-6 relative, and in practice to the bit.
            for (b, fast) in outputs.enumerated().dropFirst() {
                for (i, (a, p)) in zip(fast, outputs[0]).enumerated() {
                    #expect(abs(a - p) <= 1e-6 * max(1, abs(p)), "\(type) \(shape) n=\(tokens) \(sets[b]) row \(i): \(a) vs portable \(p)")
                }
            }
            // 8-bit activations stay close to the float product.
            let quantError = maxAbsDiff(ref, exact)
            #expect(quantError <= 0.02 * Float(shape.cols).squareRoot(), "\(type) \(shape): vs float \(quantError)")
        }
    }
}
