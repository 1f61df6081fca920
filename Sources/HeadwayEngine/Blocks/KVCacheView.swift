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
    /// Runs in the kernel set's C code (`Kernels.attend`): the weighted sum of values runs 32 output numbers at a time
    /// over all positions, in register accumulators. `attendReference` is the plain per-row form.
    /// - Parameters:
    ///   - scores: at least `length` floats of scratch.
    ///   - out: `headDim` floats.
    @inline(__always)
    func attend(query: UnsafePointer<Float>, length: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        Kernels.attend(self, query: query, length: length, scores: scores, out: out)
    }

    /// Causal attention of a chunk as matrix products: `tokens` consecutive positions `start …` with `heads` query
    /// heads each (head `h` of token `t` at `query + t · queryStride + h · headDim`, its output likewise in `out`),
    /// token `t` over the first `start + t + 1` cached positions. Scores of all the chunk's queries against each block
    /// of cached keys, one softmax per query (masked to its own length), probability-weighted values; every number
    /// equals `attend`'s for the same query (same operations, same order), which is the reference it is tested
    /// against. `scratch`: `Kernels.attendRowsScratch(…)` floats.
    @inline(__always)
    func attendRows(
        query: UnsafePointer<Float>, tokens: Int, heads: Int, queryStride: Int, start: Int,
        scratch: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int
    ) {
        Kernels.attendRows(self, query: query, tokens: tokens, heads: heads, queryStride: queryStride, start: start,
                           scratch: scratch, out: out, outStride: outStride)
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
