/// Matrix–matrix products for batched prefill: `Y = X · Wᵀ` with `X` (n × cols, one token per row) and
/// `Y` (n × rows). Each weight block is dequantized once per tile of 4 tokens instead of once per token.
extension Kernels {
    /// Reference: `n` independent reference matrix–vector products.
    public static func matMulReference(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ out: UnsafeMutablePointer<Float>
    ) {
        let column = UnsafeMutablePointer<Float>.allocate(capacity: w.rows)
        defer { column.deallocate() }
        for t in 0..<n {
            matVecReference(w, x + t * w.cols, column)
            for r in 0..<w.rows { out[t * w.rows + r] = column[r] }
        }
    }

    /// Fast, one thread, rows `rows` of every token's output.
    public static func matMul(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>
    ) {
        if n == 1 { return matVec(w, x, out, rows: rows) }
        let xr = UnsafeRawPointer(x)
        let cols = w.cols
        let blocks = w.cols / 32
        for r in rows {
            let row = w.row(r)
            var t0 = 0
            while t0 < n {
                let tile = min(4, n - t0)
                var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
                let x0 = xr + 4 * t0 * cols
                let stride = 4 * cols
                switch w.type {
                case .f32, .f16:
                    for t in t0..<(t0 + tile) {
                        out[t * w.rows + r] = w.type == .f32
                            ? dotF32(row.assumingMemoryBound(to: Float.self), x + t * cols, count: cols)
                            : dotF16(row, xr + 4 * t * cols, count: cols)
                    }
                    t0 += tile
                    continue
                case .q4_0, .q4_1, .q8_0:
                    for b in 0..<blocks {
                        let (lo, hi) = dequantizeBlock(w.type, row + b * w.type.blockBytes)
                        let xb = x0 + 128 * b
                        acc0.addProduct(lo, xb.loadUnaligned(as: SIMD16<Float>.self))
                        acc0.addProduct(hi, xb.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
                        if tile > 1 {
                            acc1.addProduct(lo, xb.loadUnaligned(fromByteOffset: stride, as: SIMD16<Float>.self))
                            acc1.addProduct(hi, xb.loadUnaligned(fromByteOffset: stride + 64, as: SIMD16<Float>.self))
                        }
                        if tile > 2 {
                            acc2.addProduct(lo, xb.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD16<Float>.self))
                            acc2.addProduct(hi, xb.loadUnaligned(fromByteOffset: 2 * stride + 64, as: SIMD16<Float>.self))
                        }
                        if tile > 3 {
                            acc3.addProduct(lo, xb.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD16<Float>.self))
                            acc3.addProduct(hi, xb.loadUnaligned(fromByteOffset: 3 * stride + 64, as: SIMD16<Float>.self))
                        }
                    }
                }
                out[t0 * w.rows + r] = Lanes.sum(acc0)
                if tile > 1 { out[(t0 + 1) * w.rows + r] = Lanes.sum(acc1) }
                if tile > 2 { out[(t0 + 2) * w.rows + r] = Lanes.sum(acc2) }
                if tile > 3 { out[(t0 + 3) * w.rows + r] = Lanes.sum(acc3) }
                t0 += tile
            }
        }
    }

    /// Fast, split over the pool's threads by rows.
    public static func matMul(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ out: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        pool.perform { part, parts in
            matMul(w, x, n: n, out, rows: WorkerPool.split(w.rows, part: part, parts: parts))
        }
    }
}
