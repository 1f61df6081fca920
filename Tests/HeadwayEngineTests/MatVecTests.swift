import HeadwayEngine
import Testing

@Suite struct MatVecTests {
    static let shapes: [(rows: Int, cols: Int)] = [(1, 32), (7, 64), (33, 96), (65, 576), (191, 160)]

    @Test(arguments: WeightType.allCases, [1, 2, 3])
    func fastMatVecMatchesReference(_ type: WeightType, threads: Int) {
        let pool = WorkerPool(threads: threads)
        for (i, shape) in Self.shapes.enumerated() {
            let w = WeightMatrix(quantizing: randomFloats(shape.rows * shape.cols, seed: UInt64(i)),
                                 rows: shape.rows, cols: shape.cols, as: type)
            let x = randomFloats(shape.cols, seed: 100 + UInt64(i))
            var ref = [Float](repeating: 0, count: shape.rows), fast = [Float](repeating: .nan, count: shape.rows)
            Kernels.matVecReference(w, x, &ref)
            Kernels.matVec(w, x, &fast, pool: pool)
            let diff = maxAbsDiff(ref, fast)
            #expect(diff <= 1e-4 * Float(shape.cols).squareRoot(), "\(type) \(shape) threads=\(threads): maxDiff \(diff)")
        }
    }

    @Test(arguments: WeightType.allCases, [1, 2, 4, 5, 9])
    func fastMatMulMatchesReference(_ type: WeightType, tokens: Int) {
        let pool = WorkerPool(threads: 2)
        for (i, shape) in Self.shapes.enumerated() {
            let w = WeightMatrix(quantizing: randomFloats(shape.rows * shape.cols, seed: 50 + UInt64(i)),
                                 rows: shape.rows, cols: shape.cols, as: type)
            let x = randomFloats(tokens * shape.cols, seed: 200 + UInt64(i))
            var ref = [Float](repeating: 0, count: tokens * shape.rows)
            var fast = [Float](repeating: .nan, count: tokens * shape.rows)
            Kernels.matMulReference(w, x, n: tokens, &ref)
            Kernels.matMul(w, x, n: tokens, &fast, pool: pool)
            let diff = maxAbsDiff(ref, fast)
            #expect(diff <= 1e-4 * Float(shape.cols).squareRoot(), "\(type) \(shape) n=\(tokens): maxDiff \(diff)")
        }
    }

    @Test func matVecOfKnownMatrix() {
        // [[1, 2, …, 32], [−1, …, −32]] · 1 = [528, −528]; integers up to 32 are exact in F16.
        let values = (1...32).map(Float.init) + (1...32).map { -Float($0) }
        let w = WeightMatrix(quantizing: values, rows: 2, cols: 32, as: .f16)
        var out = [Float](repeating: 0, count: 2)
        Kernels.matVec(w, [Float](repeating: 1, count: 32), &out, rows: 0..<2)
        #expect(out == [528, -528])
    }
}
