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

    /// Implementations of the quantized dot products; all give bit-identical results.
    public enum Q8Backend: Sendable, CaseIterable {
        /// Portable SIMD (`SIMD16<Int16>` products, element-loop lane sums).
        case portable
        /// AVX2 intrinsics (x86-64 only).
        case avx2
        /// AVX512-VNNI/VL intrinsics, four rows at a time (x86-64 only; the engine is built for such CPUs).
        case vnni

        /// The fastest backend on this machine.
        public static var best: Q8Backend {
            #if arch(x86_64)
            .vnni
            #else
            .portable
            #endif
        }
        /// The backends this build can run.
        public static var available: [Q8Backend] {
            #if arch(x86_64)
            [.portable, .avx2, .vnni]
            #else
            [.portable]
            #endif
        }
    }

    /// Fast, one thread: rows `rows` of `n` tokens; `out` is `n × w.rows`. Rows are walked in tiles of 16 and each
    /// tile is applied to every token while it is in L1, so a prefill reads the weights once.
    public static func matMulQ8(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ xq: Q8Activations, n: Int, _ out: UnsafeMutablePointer<Float>,
        rows: Range<Int>, backend: Q8Backend = .best
    ) {
        let blocks = w.cols / 32
        var tileStart = rows.lowerBound
        while tileStart < rows.upperBound {
            let tile = tileStart..<min(tileStart + 16, rows.upperBound)
            for t in 0..<n {
                let q = UnsafeRawPointer(xq.tokenQs(t)), s = xq.tokenScales(t), m = xq.tokenSums(t)
                let o = out + t * w.rows
                #if arch(x86_64)
                if backend == .vnni, w.type != .f16, w.type != .f32 {
                    vnniTile(w, tile, q, s, m, o, blocks: blocks)
                    continue
                }
                if backend == .avx2 || backend == .vnni {
                    switch w.type {
                    case .q4_1:
                        var r = tile.lowerBound
                        while r + 1 < tile.upperBound {
                            (o[r], o[r + 1]) = dotQ4_1Q8AVX2x2(w.row(r), w.row(r + 1), q, s, m, blocks: blocks)
                            r += 2
                        }
                        if r < tile.upperBound { o[r] = dotQ4_1Q8AVX2(w.row(r), q, s, m, blocks: blocks) }
                    case .q4_0: for r in tile { o[r] = dotQ4_0Q8AVX2(w.row(r), q, s, blocks: blocks) }
                    case .q8_0:
                        var r = tile.lowerBound
                        while r + 1 < tile.upperBound {
                            (o[r], o[r + 1]) = dotQ8_0Q8AVX2x2(w.row(r), w.row(r + 1), q, s, blocks: blocks)
                            r += 2
                        }
                        if r < tile.upperBound { o[r] = dotQ8_0Q8AVX2(w.row(r), q, s, blocks: blocks) }
                    case .f16, .f32: matVec(w, x + t * w.cols, o, rows: tile)
                    }
                    continue
                }
                #endif
                switch w.type {
                case .q4_1:
                    var r = tile.lowerBound
                    while r + 1 < tile.upperBound {
                        (o[r], o[r + 1]) = dotQ4_1Q8x2(w.row(r), w.row(r + 1), q, s, m, blocks: blocks)
                        r += 2
                    }
                    if r < tile.upperBound { o[r] = dotQ4_1Q8(w.row(r), q, s, m, blocks: blocks) }
                case .q4_0: for r in tile { o[r] = dotQ4_0Q8(w.row(r), q, s, blocks: blocks) }
                case .q8_0:
                    var r = tile.lowerBound
                    while r + 1 < tile.upperBound {
                        (o[r], o[r + 1]) = dotQ8_0Q8x2(w.row(r), w.row(r + 1), q, s, blocks: blocks)
                        r += 2
                    }
                    if r < tile.upperBound { o[r] = dotQ8_0Q8(w.row(r), q, s, blocks: blocks) }
                case .f16, .f32: matVec(w, x + t * w.cols, o, rows: tile)
                }
            }
            tileStart = tile.upperBound
        }
    }

    /// Fast, split over the pool's threads by rows.
    public static func matMulQ8(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ xq: Q8Activations, n: Int, _ out: UnsafeMutablePointer<Float>,
        pool: WorkerPool, backend: Q8Backend = .best
    ) {
        pool.perform(chunks: pool.chunksFor(rows: w.rows)) { part, parts in
            matMulQ8(w, x, xq, n: n, out, rows: WorkerPool.split(w.rows, part: part, parts: parts), backend: backend)
        }
    }

    /// The per-lane integer dot of one block: `w0 · y[0..<16]` and `w1 · y[16..<32]` (Int16 products, exact for
    /// 8-bit values), summed in GGML's lane layout (8 lanes of 4 consecutive elements) and converted to float.
    @inline(__always)
    static func blockDot(_ w0: SIMD16<Int16>, _ w1: SIMD16<Int16>, _ y: UnsafeRawPointer) -> SIMD8<Float> {
        let y0 = Lanes.int16(y.loadUnaligned(as: SIMD16<Int8>.self))
        let y1 = Lanes.int16(y.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self))
        return Lanes.float(Lanes.quadSums(w0 &* y0, w1 &* y1))
    }

    /// The 32 4-bit weights of a block as two Int16 vectors (weights 0–15, 16–31): widen the 16 packed bytes once,
    /// then mask and shift in 16-bit lanes.
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafeRawPointer) -> (SIMD16<Int16>, SIMD16<Int16>) {
        let p = Lanes.int16(packed.loadUnaligned(as: SIMD16<UInt8>.self))
        return (p & 0x0F, p &>> 4)
    }

    // The dot kernels below accumulate like llama.cpp's x86 `ggml_vec_dot_*` (one 8-lane accumulator, one FMA
    // with `d_w · d_y` per block, `hsum_float_8` at the end), so results agree with it to the last bit in most
    // rows; the next layer's 8-bit quantization would otherwise turn last-bit differences into visible ones.

    @inline(__always)
    static func dotQ4_1Q8(
        _ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ sums: UnsafePointer<Float>,
        blocks: Int
    ) -> Float {
        var acc = SIMD8<Float>()
        var accM: Float = 0
        var p = row
        for b in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let m = Float(p.loadUnaligned(fromByteOffset: 2, as: Float16.self))
            let (w0, w1) = nibbleLanes(p + 4)
            acc.addProduct(SIMD8(repeating: d * scales[b]), blockDot(w0, w1, q + 32 * b))
            accM += m * sums[b]
            p += 20
        }
        return Lanes.ggmlSum(acc) + accM
    }

    /// Two rows at once (shares the activation loads and scales, two independent dependency chains).
    @inline(__always)
    static func dotQ4_1Q8x2(
        _ row0: UnsafeRawPointer, _ row1: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
        _ sums: UnsafePointer<Float>, blocks: Int
    ) -> (Float, Float) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var m0: Float = 0, m1: Float = 0
        var p0 = row0, p1 = row1
        for b in 0..<blocks {
            let y = q + 32 * b
            let y0 = Lanes.int16(y.loadUnaligned(as: SIMD16<Int8>.self))
            let y1 = Lanes.int16(y.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self))
            let sy = scales[b], my = sums[b]
            let (a0, a1) = nibbleLanes(p0 + 4)
            let (b0, b1) = nibbleLanes(p1 + 4)
            acc0.addProduct(SIMD8(repeating: Float(p0.loadUnaligned(as: Float16.self)) * sy),
                            Lanes.float(Lanes.quadSums(a0 &* y0, a1 &* y1)))
            acc1.addProduct(SIMD8(repeating: Float(p1.loadUnaligned(as: Float16.self)) * sy),
                            Lanes.float(Lanes.quadSums(b0 &* y0, b1 &* y1)))
            m0 += Float(p0.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * my
            m1 += Float(p1.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * my
            p0 += 20
            p1 += 20
        }
        return (Lanes.ggmlSum(acc0) + m0, Lanes.ggmlSum(acc1) + m1)
    }

    @inline(__always)
    static func dotQ4_0Q8(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var p = row
        let eight = SIMD16<Int16>(repeating: 8)
        for b in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let (w0, w1) = nibbleLanes(p + 2)
            acc.addProduct(SIMD8(repeating: d * scales[b]), blockDot(w0 &- eight, w1 &- eight, q + 32 * b))
            p += 18
        }
        return Lanes.ggmlSum(acc)
    }

    @inline(__always)
    static func dotQ8_0Q8(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var p = row
        for b in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let w0 = Lanes.int16(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let w1 = Lanes.int16(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            acc.addProduct(SIMD8(repeating: d * scales[b]), blockDot(w0, w1, q + 32 * b))
            p += 34
        }
        return Lanes.ggmlSum(acc)
    }

    /// Two Q8_0 rows at once (the tied LM head: 49152 rows).
    @inline(__always)
    static func dotQ8_0Q8x2(
        _ row0: UnsafeRawPointer, _ row1: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
        blocks: Int
    ) -> (Float, Float) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var p0 = row0, p1 = row1
        for b in 0..<blocks {
            let y = q + 32 * b
            let y0 = Lanes.int16(y.loadUnaligned(as: SIMD16<Int8>.self))
            let y1 = Lanes.int16(y.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self))
            let sy = scales[b]
            let a0 = Lanes.int16(p0.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let a1 = Lanes.int16(p0.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            let b0 = Lanes.int16(p1.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let b1 = Lanes.int16(p1.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            acc0.addProduct(SIMD8(repeating: Float(p0.loadUnaligned(as: Float16.self)) * sy),
                            Lanes.float(Lanes.quadSums(a0 &* y0, a1 &* y1)))
            acc1.addProduct(SIMD8(repeating: Float(p1.loadUnaligned(as: Float16.self)) * sy),
                            Lanes.float(Lanes.quadSums(b0 &* y0, b1 &* y1)))
            p0 += 34
            p1 += 34
        }
        return (Lanes.ggmlSum(acc0), Lanes.ggmlSum(acc1))
    }
}
