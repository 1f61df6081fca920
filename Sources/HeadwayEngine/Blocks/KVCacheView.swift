/// A raw, read-only view of one `KVCache` for the attention kernel: the base pointers of its `KVStorage` and the
/// layout numbers, so worker threads read the cache without touching the value that owns it. Valid while the cache
/// is neither mutated nor released. `@unchecked Sendable`: worker threads only read through it, meanwhile.
public struct KVCacheView: @unchecked Sendable {
    let keys, values: UnsafeRawPointer?
    let packedKeys, packedValues: UnsafeRawPointer?
    let headDim: Int
    let isPacked: Bool
    let sinks, recent, packedEnd: Int

    /// A view of no cache (placeholder).
    public static let empty = KVCacheView(keys: nil, values: nil, packedKeys: nil, packedValues: nil, headDim: 0,
                                   isPacked: false, sinks: 0, recent: 0, packedEnd: 0)

    /// A stretch of consecutive positions stored consecutively: F16 slots from `slot`, or Q8_0 rows (`slot == nil`,
    /// row = position).
    struct Run {
        let positions: Range<Int>
        let slot: Int?
        static let none = Run(positions: 0..<0, slot: nil)
    }

    /// Calls `body` for the runs covering positions `0 ..< length` in order (at most four; no allocation).
    @inline(__always)
    func forEachRun(length: Int, _ body: (Run) -> Void) {
        guard isPacked else {
            if length > 0 { body(Run(positions: 0..<length, slot: 0)) }
            return
        }
        let s = min(sinks, length)
        if s > 0 { body(Run(positions: 0..<s, slot: 0)) }
        let pe = max(s, min(packedEnd, length))
        if pe > s { body(Run(positions: s..<pe, slot: nil)) }
        var p = pe
        while p < length {
            let offset = (p - sinks) % recent
            let end = min(length, p + (recent - offset))
            body(Run(positions: p..<end, slot: sinks + offset))
            p = end
        }
    }

    /// The runs covering positions `0 ..< length` (what `forEachRun` visits), as a value.
    struct Runs {
        var count = 0
        var items: (Run, Run, Run, Run) = (Run.none, Run.none, Run.none, Run.none)
        subscript(i: Int) -> Run {
            switch i {
            case 0: items.0
            case 1: items.1
            case 2: items.2
            default: items.3
            }
        }
        mutating func append(_ r: Run) {
            switch count {
            case 0: items.0 = r
            case 1: items.1 = r
            case 2: items.2 = r
            default: items.3 = r
            }
            count += 1
        }
    }

    func runs(length: Int) -> Runs {
        var list = Runs()
        forEachRun(length: length) { list.append($0) }
        return list
    }

    /// One head at one position: softmax(q · Kᵀ / √headDim) · V over the first `length` cached positions.
    /// Rounding follows llama.cpp's CPU attention (no flash attention), whose results the model is sensitive to:
    /// q arrives rounded to F16 (the K cache's type), the softmax runs in F32, and the probabilities are rounded to
    /// F16 before they weight the values. Q8_0 rows enter as their exact values `d · q` in F32.
    ///
    /// Speed (measured with `perf`: the per-row horizontal sums and the row-after-row read-modify-write of `out`
    /// were most of the attention time): scores are computed 16 positions at a time (16 dot-product vectors folded
    /// into one vector of 16 sums), and the weighted sum of values runs one 16-number slice of the output at a time
    /// over all positions, in 4 independent register accumulators. `attendReference` is the plain per-row form.
    /// - Parameters:
    ///   - scores: at least `length` floats of scratch.
    ///   - out: `headDim` floats.
    @inline(__always)
    func attend(query: UnsafePointer<Float>, length: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let hd = headDim
        guard hd % 32 == 0 else {
            attendReference(query: query, length: length, scores: scores, out: out)
            return
        }
        let scale = 1 / Float(hd).squareRoot()
        let qr = UnsafeRawPointer(query)
        let rowBytes = KVCacheFormat.packedRowBytes(headDim: hd)
        let list = runs(length: length)
        let vectors = hd / 16, blocks = hd / 32
        let sv = UnsafeMutableRawPointer(scores)
        for r in 0..<list.count {
            let run = list[r]
            var j = run.positions.lowerBound
            let end = run.positions.upperBound
            if let slot = run.slot {
                let stride = 2 * hd
                var row = keys! + stride * slot
                while j + 16 <= end {
                    let s = Kernels.dots16F16(row, stride: stride, qr, vectors: vectors)
                    sv.storeBytes(of: s * scale, toByteOffset: 4 * j, as: SIMD16<Float>.self)
                    j += 16
                    row += 16 * stride
                }
                while j < end {
                    scores[j] = Lanes.sum(Kernels.dotVectorF16(row, qr, vectors: vectors)) * scale
                    j += 1
                    row += stride
                }
            } else {
                var row = packedKeys! + rowBytes * j
                while j + 16 <= end {
                    let s = Kernels.dots16Q8_0(row, stride: rowBytes, qr, blocks: blocks)
                    sv.storeBytes(of: s * scale, toByteOffset: 4 * j, as: SIMD16<Float>.self)
                    j += 16
                    row += 16 * rowBytes
                }
                while j < end {
                    scores[j] = Lanes.sum(Kernels.dotVectorQ8_0(row, qr, blocks: blocks)) * scale
                    j += 1
                    row += rowBytes
                }
            }
        }
        Kernels.softmax(scores, count: length)
        Kernels.roundToHalf(scores, count: length)
        let o = UnsafeMutableRawPointer(out)
        for c in 0..<vectors {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            for r in 0..<list.count {
                let run = list[r]
                var j = run.positions.lowerBound
                let end = run.positions.upperBound
                if let slot = run.slot {
                    let stride = 2 * hd
                    var row = values! + stride * slot + 32 * c
                    while j + 4 <= end {
                        a0.addProduct(SIMD16(repeating: scores[j]), Lanes.float(row.loadUnaligned(as: SIMD16<Float16>.self)))
                        a1.addProduct(SIMD16(repeating: scores[j + 1]), Lanes.float(row.loadUnaligned(fromByteOffset: stride, as: SIMD16<Float16>.self)))
                        a2.addProduct(SIMD16(repeating: scores[j + 2]), Lanes.float(row.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD16<Float16>.self)))
                        a3.addProduct(SIMD16(repeating: scores[j + 3]), Lanes.float(row.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD16<Float16>.self)))
                        j += 4
                        row += 4 * stride
                    }
                    while j < end {
                        a0.addProduct(SIMD16(repeating: scores[j]), Lanes.float(row.loadUnaligned(as: SIMD16<Float16>.self)))
                        j += 1
                        row += stride
                    }
                } else {
                    // Slice c of a row is half c % 2 of block c / 2.
                    var block = packedValues! + rowBytes * j + 34 * (c / 2)
                    let lanes = 2 + 16 * (c % 2)
                    while j < end {
                        let d = Float(block.loadUnaligned(as: Float16.self))
                        a0.addProduct(SIMD16(repeating: scores[j] * d),
                                      Lanes.float(Lanes.int32(block.loadUnaligned(fromByteOffset: lanes, as: SIMD16<Int8>.self))))
                        swap(&a0, &a1)
                        j += 1
                        block += rowBytes
                    }
                }
            }
            o.storeBytes(of: (a0 + a1) + (a2 + a3), toByteOffset: 64 * c, as: SIMD16<Float>.self)
        }
    }

    /// The plain form of `attend`: one dot product and one scaled row addition per cached position, with the
    /// reference-style kernels (and the path for heads that are not whole Q8_0 blocks).
    func attendReference(query: UnsafePointer<Float>, length: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let hd = headDim
        let scale = 1 / Float(hd).squareRoot()
        let qr = UnsafeRawPointer(query)
        let rowBytes = KVCacheFormat.packedRowBytes(headDim: hd)
        forEachRun(length: length) { run in
            if let slot = run.slot {
                let first = run.positions.lowerBound
                for j in run.positions { scores[j] = Kernels.dotF16(keys! + 2 * (slot + j - first) * hd, qr, count: hd) * scale }
            } else {
                for j in run.positions { scores[j] = Kernels.dotQ8_0(packedKeys! + j * rowBytes, qr, blocks: hd / 32) * scale }
            }
        }
        Kernels.softmax(scores, count: length)
        Kernels.roundToHalf(scores, count: length)
        for i in 0..<hd { out[i] = 0 }
        forEachRun(length: length) { run in
            if let slot = run.slot {
                let first = run.positions.lowerBound
                for j in run.positions { Kernels.addScaledF16(values! + 2 * (slot + j - first) * hd, scale: scores[j], count: hd, into: out) }
            } else {
                for j in run.positions { Kernels.addScaledQ8_0(packedValues! + j * rowBytes, scale: scores[j], count: hd, into: out) }
            }
        }
    }
}
