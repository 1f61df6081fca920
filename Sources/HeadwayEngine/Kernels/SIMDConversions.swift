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
}
