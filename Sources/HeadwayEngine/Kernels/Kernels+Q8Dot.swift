import CHeadwayKernels

/// Matrix products against 8-bit-quantized activations (llama.cpp's CPU path): integer dot products per block,
/// scaled once per block. `Q4_1 · Q8_1`, `Q4_0 · Q8_0`, `Q8_0 · Q8_0`; F16/F32 weights use the float activations.
extension Kernels {
    /// Reference: scalar integer block sums.
    public static func matMulQ8Reference(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ xq: Q8Activations, n: Int, _ out: UnsafeMutablePointer<Float>
    ) {
        for t in 0..<n {
            for r in 0..<w.rows {
                let row = w.row(r)
                var acc: Double = 0
                switch w.type {
                case .f32, .f16:
                    for c in 0..<w.cols { acc += Double(weightReference(w.type, row, c)) * Double(x[t * w.cols + c]) }
                case .q4_0, .q4_1, .q8_0:
                    for b in 0..<(w.cols / 32) {
                        let block = row + b * w.type.blockBytes
                        let d = Float(block.loadUnaligned(as: Float16.self))
                        var sum = 0
                        for i in 0..<32 {
                            let q: Int
                            switch w.type {
                            case .q8_0: q = Int(block.load(fromByteOffset: 2 + i, as: Int8.self))
                            case .q4_0:
                                let byte = block.load(fromByteOffset: 2 + i % 16, as: UInt8.self)
                                q = Int(i < 16 ? byte & 0x0F : byte >> 4) - 8
                            default:
                                let byte = block.load(fromByteOffset: 4 + i % 16, as: UInt8.self)
                                q = Int(i < 16 ? byte & 0x0F : byte >> 4)
                            }
                            sum += q * Int(xq.tokenQs(t)[b * 32 + i])
                        }
                        acc += Double(d * xq.tokenScales(t)[b]) * Double(sum)
                        if w.type == .q4_1 {
                            acc += Double(Float(block.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * xq.tokenSums(t)[b])
                        }
                    }
                }
                out[t * w.rows + r] = Float(acc)
            }
        }
    }

    /// Fast, one thread: rows `rows` of `n` tokens; `out` is `n × w.rows`. The kernel set's C code walks the rows in
    /// tiles of 16 and applies each tile to every token while it is in L1, so a prefill reads the weights once.
    /// F16 and F32 weights use the float activations `x`.
    public static func matMulQ8(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ xq: Q8Activations, n: Int, _ out: UnsafeMutablePointer<Float>,
        rows: Range<Int>, kernels: KernelSet? = nil
    ) {
        guard !rows.isEmpty else { return }
        let type: hw_weight_type
        switch w.type {
        case .q4_0: type = HW_Q4_0
        case .q4_1: type = HW_Q4_1
        case .q8_0: type = HW_Q8_0
        case .f16, .f32:
            for t in 0..<n { matVec(w, x + t * w.cols, out + t * w.rows, rows: rows, kernels: kernels) }
            return
        }
        let base = UnsafeRawPointer(w.row(0)).assumingMemoryBound(to: UInt8.self)
        table(kernels).pointee.matmul_q8!(
            type, base, w.type.rowBytes(cols: w.cols), Int32(rows.lowerBound), Int32(rows.upperBound), Int32(w.cols / 32),
            Int32(n), xq.qs, xq.scales, xq.sums, out, w.rows)
    }

    /// Fast, split over the pool's threads by rows.
    public static func matMulQ8(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ xq: Q8Activations, n: Int, _ out: UnsafeMutablePointer<Float>,
        pool: WorkerPool, kernels: KernelSet? = nil
    ) {
        pool.perform(chunks: pool.chunksFor(rows: w.rows)) { part, parts in
            matMulQ8(w, x, xq, n: n, out, rows: WorkerPool.split(w.rows, part: part, parts: parts), kernels: kernels)
        }
    }
}
