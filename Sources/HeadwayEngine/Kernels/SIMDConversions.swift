/// Lane-wise conversions between SIMD vectors, written as element loops that are always inlined.
///
/// The standard library's generic conversions (`SIMD16<Int32>(truncatingIfNeeded:)`, `SIMD16<Float>(_:)`, …) are
/// specialized but not inlined into our kernels, so every use became a call that splits the vector into 128-bit
/// registers (measured: ~30 % of decode time). After inlining, LLVM turns these loops into single AVX2
/// instructions (`vpmovzxbw`, `vpmovsxwd`, `vcvtdq2ps`, `vcvtph2ps`).
enum Lanes {
    @inline(__always) static func int16(_ v: SIMD16<UInt8>) -> SIMD16<Int16> {
        var r = SIMD16<Int16>()
        for i in 0..<16 { r[i] = Int16(v[i]) }
        return r
    }
    @inline(__always) static func int16(_ v: SIMD16<Int8>) -> SIMD16<Int16> {
        var r = SIMD16<Int16>()
        for i in 0..<16 { r[i] = Int16(v[i]) }
        return r
    }
    @inline(__always) static func int8(_ v: SIMD16<Int16>) -> SIMD16<Int8> {
        var r = SIMD16<Int8>()
        for i in 0..<16 { r[i] = Int8(truncatingIfNeeded: v[i]) }
        return r
    }
    @inline(__always) static func int32(_ v: SIMD16<Int16>) -> SIMD16<Int32> {
        var r = SIMD16<Int32>()
        for i in 0..<16 { r[i] = Int32(v[i]) }
        return r
    }
    @inline(__always) static func int32(_ v: SIMD16<UInt8>) -> SIMD16<Int32> {
        var r = SIMD16<Int32>()
        for i in 0..<16 { r[i] = Int32(v[i]) }
        return r
    }
    @inline(__always) static func int32(_ v: SIMD16<Int8>) -> SIMD16<Int32> {
        var r = SIMD16<Int32>()
        for i in 0..<16 { r[i] = Int32(v[i]) }
        return r
    }
    @inline(__always) static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = Float(v[i]) }
        return r
    }
    @inline(__always) static func float(_ v: SIMD16<Float16>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = Float(v[i]) }
        return r
    }
    /// Round to nearest, ties to even, for |x| < 2²²: adding 1.5 · 2²³ leaves the rounded integer in the low
    /// mantissa bits (the same rounding as `vroundps` with `_MM_ROUND_NEAREST`).
    @inline(__always) static func roundedInt16(_ v: SIMD16<Float>) -> SIMD16<Int16> {
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let bits = unsafeBitCast(v + magic, to: SIMD16<Int32>.self) &- 0x4B40_0000
        var r = SIMD16<Int16>()
        for i in 0..<16 { r[i] = Int16(truncatingIfNeeded: bits[i]) }
        return r
    }
    /// e^x lane by lane for x ≤ 0 (softmax inputs): x = n·ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2
    /// split in an exact high part and a low part, Cody-Waite), e^r by its degree-6 Taylor polynomial in FMAs
    /// (truncation < 1.2e-7 relative), times 2^n built in the exponent bits. Lanes below -87.3 give 0; n is read from
    /// the float's bits (no conversion that could trap on NaN).
    @inline(__always) static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let low = x .< -87.3
        let clamped = x.replacing(with: -87.3, where: low)
        let magic = SIMD16<Float>(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to an integer
        let t = magic.addingProduct(clamped, SIMD16(repeating: 1.442_695_04))
        let n = t - magic
        var r = clamped.addingProduct(n, SIMD16(repeating: -0.693_359_375))
        r = r.addingProduct(n, SIMD16(repeating: 2.121_944_4e-4))
        var p = SIMD16<Float>(repeating: 1.0 / 720)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        let exponent = (unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return (p * unsafeBitCast(exponent, to: SIMD16<Float>.self)).replacing(with: 0, where: low)
    }
    /// Sums of adjacent lanes: lane i = v[2i] + v[2i + 1].
    @inline(__always) static func pairSums(_ v: SIMD16<Float>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = v[2 * i] + v[2 * i + 1] }
        return r
    }
    @inline(__always) static func sum(_ v: SIMD16<Float>) -> Float {
        var s: Float = 0
        for i in 0..<16 { s += v[i] }
        return s
    }
    @inline(__always) static func wrappingSum(_ v: SIMD16<Int16>) -> Int {
        var s = 0
        for i in 0..<16 { s += Int(v[i]) }
        return s
    }
    @inline(__always) static func maxMagnitude(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> Float {
        var m: Float = 0
        for i in 0..<16 { m = Swift.max(m, Swift.max(Swift.abs(a[i]), Swift.abs(b[i]))) }
        return m
    }

    /// Sums of 4 consecutive lanes, first the 16 lanes of `a`, then those of `b`, widened to Int32: the lane
    /// layout of x86 `maddubs` + `madd` dot products (lane k = elements 4k…4k+3), which llama.cpp's quantized dots
    /// accumulate in. Integer sums are exact; keeping GGML's lane grouping makes the later float sums match.
    @inline(__always) static func quadSums(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
        var r = SIMD8<Int32>()
        for k in 0..<4 {
            r[k] = Int32(a[4 * k]) &+ Int32(a[4 * k + 1]) &+ Int32(a[4 * k + 2]) &+ Int32(a[4 * k + 3])
            r[k + 4] = Int32(b[4 * k]) &+ Int32(b[4 * k + 1]) &+ Int32(b[4 * k + 2]) &+ Int32(b[4 * k + 3])
        }
        return r
    }
    @inline(__always) static func float(_ v: SIMD8<Int32>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = Float(v[i]) }
        return r
    }
    /// Horizontal sum in the order of GGML's `hsum_float_8`: ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)).
    @inline(__always) static func ggmlSum(_ a: SIMD8<Float>) -> Float {
        let r0 = a[0] + a[4], r1 = a[1] + a[5], r2 = a[2] + a[6], r3 = a[3] + a[7]
        return (r0 + r2) + (r1 + r3)
    }
}
