import CHeadwayKernels

/// Kernels for the K/V cache: storing rows in F16 and Q8_0, attention, and accumulating probability-weighted value rows.
/// Each has a plain reference form (`…Reference`) the tests hold it to.
extension Kernels {
    /// Encodes `count` floats (a multiple of 32) as Q8_0 blocks at `out` (34 bytes per block), with GGML's rounding
    /// (`quantize_row_q8_0_ref`: d = max|x| / 127, q = round-half-away(x / d)); the kernel set's C code.
    @inline(__always)
    static func quantizeQ8_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer, kernels: KernelSet? = nil) {
        table(kernels).pointee.quantize_q8_0!(x, Int32(count), out.assumingMemoryBound(to: UInt8.self))
    }

    /// F32 → F16 (to nearest even) and back, `count` numbers; the kernel set's C code.
    @inline(__always)
    static func storeHalves(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>) {
        table().pointee.f32_to_f16!(x, UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt16.self), Int32(count))
    }

    @inline(__always)
    static func loadHalves(_ x: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        table().pointee.f16_to_f32!(UnsafeRawPointer(x).assumingMemoryBound(to: UInt16.self), out, Int32(count))
    }

    /// Attention of one head over a cache view (`KVCacheView.attend`), with the kernel set's C code: scores (keys in
    /// F16 slots or Q8_0 rows), softmax, probabilities rounded to F16, probability-weighted values.
    static func attend(
        _ view: KVCacheView, query: UnsafePointer<Float>, length: Int, scores: UnsafeMutablePointer<Float>,
        out: UnsafeMutablePointer<Float>, kernels: KernelSet? = nil
    ) {
        var v = cView(view, length: length)
        table(kernels).pointee.attend!(&v, query, Int32(length), scores, out)
    }

    /// Causal attention of a chunk against one cache view (`KVCacheView.attendRows`), with the kernel set's C code:
    /// `tokens` consecutive positions from `start` on, `heads` query heads each; the same numbers as `attend` per query.
    static func attendRows(
        _ view: KVCacheView, query: UnsafePointer<Float>, tokens: Int, heads: Int, queryStride: Int, start: Int,
        scratch: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int, kernels: KernelSet? = nil
    ) {
        var v = cView(view, length: start + tokens)
        table(kernels).pointee.attend_rows!(&v, query, Int32(tokens), Int32(heads), queryStride, Int32(start), scratch, out, outStride)
    }

    /// Floats of scratch `attendRows` needs.
    static func attendRowsScratch(tokens: Int, heads: Int, start: Int, headDim: Int) -> Int {
        hw_attend_rows_scratch(Int32(tokens), Int32(heads), Int32(start), Int32(headDim))
    }

    /// The C kernels' description of `view` over positions `0 ..< length`.
    @inline(__always)
    private static func cView(_ view: KVCacheView, length: Int) -> hw_attend_view {
        var v = hw_attend_view()
        v.keys = view.keys?.assumingMemoryBound(to: UInt16.self)
        v.values = view.values?.assumingMemoryBound(to: UInt16.self)
        v.packed_keys = view.packedKeys?.assumingMemoryBound(to: UInt8.self)
        v.packed_values = view.packedValues?.assumingMemoryBound(to: UInt8.self)
        v.head_dim = Int32(view.headDim)
        let runs = view.runs(length: length)
        v.run_count = Int32(runs.count)
        withUnsafeMutableBytes(of: &v.run_begin) { b in
            withUnsafeMutableBytes(of: &v.run_end) { e in
                withUnsafeMutableBytes(of: &v.run_slot) { s in
                    for r in 0..<runs.count {
                        b.storeBytes(of: Int32(runs[r].positions.lowerBound), toByteOffset: 4 * r, as: Int32.self)
                        e.storeBytes(of: Int32(runs[r].positions.upperBound), toByteOffset: 4 * r, as: Int32.self)
                        s.storeBytes(of: Int32(runs[r].slot ?? -1), toByteOffset: 4 * r, as: Int32.self)
                    }
                }
            }
        }
        return v
    }

    /// `out[i] += scale · row[i]` for an F16 row of `count` numbers.
    @inline(__always)
    static func addScaledF16(_ row: UnsafeRawPointer, scale: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        let o = UnsafeMutableRawPointer(out)
        let s = SIMD16<Float>(repeating: scale)
        var i = 0
        while i + 16 <= count {
            var acc = o.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc.addProduct(s, Lanes.float(row.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)))
            o.storeBytes(of: acc, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            out[i] += scale * Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self))
            i += 1
        }
    }

    /// `out[i] += scale · value(i)` for a Q8_0 row of `count` numbers (a multiple of 32).
    @inline(__always)
    static func addScaledQ8_0(_ row: UnsafeRawPointer, scale: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        let o = UnsafeMutableRawPointer(out)
        var p = row
        for b in stride(from: 0, to: count, by: 32) {
            let s = SIMD16<Float>(repeating: scale * Float(p.loadUnaligned(as: Float16.self)))
            var lo = o.loadUnaligned(fromByteOffset: 4 * b, as: SIMD16<Float>.self)
            var hi = o.loadUnaligned(fromByteOffset: 4 * b + 64, as: SIMD16<Float>.self)
            lo.addProduct(s, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))))
            hi.addProduct(s, Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))))
            o.storeBytes(of: lo, toByteOffset: 4 * b, as: SIMD16<Float>.self)
            o.storeBytes(of: hi, toByteOffset: 4 * b + 64, as: SIMD16<Float>.self)
            p += 34
        }
    }
}

/// Plain scalar forms of the K/V cache kernels.
extension Kernels {
    public static func quantizeQ8_0Reference(_ x: [Float]) -> [UInt8] {
        Quantize.row(x, as: .q8_0)
    }

    public static func addScaledQ8_0Reference(_ row: [UInt8], scale: Float, into out: inout [Float]) {
        row.withUnsafeBytes { r in
            for i in out.indices { out[i] += scale * weightReference(.q8_0, r.baseAddress!, i) }
        }
    }

    /// The fast kernels, callable with arrays (tests).
    public static func quantizeQ8_0(_ x: [Float], kernels: KernelSet? = nil) -> [UInt8] {
        precondition(x.count % 32 == 0)
        var out = [UInt8](repeating: 0, count: x.count / 32 * 34)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBytes { quantizeQ8_0(xp.baseAddress!, count: x.count, into: $0.baseAddress!, kernels: kernels) }
        }
        return out
    }

    public static func addScaledQ8_0(_ row: [UInt8], scale: Float, into out: inout [Float]) {
        let n = out.count
        row.withUnsafeBytes { r in out.withUnsafeMutableBufferPointer { addScaledQ8_0(r.baseAddress!, scale: scale, count: n, into: $0.baseAddress!) } }
    }
}
