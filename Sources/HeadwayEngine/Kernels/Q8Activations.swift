import CHeadwayKernels

/// Activations quantized to 8-bit blocks of 32 once per matrix product, as llama.cpp does (`block_q8_0` /
/// `block_q8_1`): for block `b`, `x ≈ qs[b·32 + i] · scales[b]`, and `sums[b] = scales[b] · Σ qs` (the Q8_1 `s`).
/// Scales and sums are rounded to F16 like GGML stores them, so dot products reproduce llama.cpp's numbers.
/// A view into caller-provided memory (carved from a float scratch buffer), `tokens × cols` values.
public struct Q8Activations {
    public let qs: UnsafeMutablePointer<Int8>
    public let scales: UnsafeMutablePointer<Float>
    public let sums: UnsafeMutablePointer<Float>
    public let cols: Int
    public let tokens: Int

    /// Floats of scratch a `tokens × cols` view occupies.
    public static func floatCount(tokens: Int, cols: Int) -> Int { tokens * (cols / 4 + 2 * (cols / 32)) }

    /// Lays the view over `scratch` (at least `floatCount(tokens:cols:)` floats).
    public init(carving scratch: UnsafeMutablePointer<Float>, tokens: Int, cols: Int) {
        precondition(cols % 32 == 0, "cols \(cols) is not a multiple of 32")
        self.tokens = tokens
        self.cols = cols
        scales = scratch
        sums = scratch + tokens * (cols / 32)
        qs = UnsafeMutableRawPointer(sums + tokens * (cols / 32)).bindMemory(to: Int8.self, capacity: tokens * cols)
    }

    /// Quantized values of token `t`.
    @inline(__always) func tokenQs(_ t: Int) -> UnsafeMutablePointer<Int8> { qs + t * cols }
    @inline(__always) func tokenScales(_ t: Int) -> UnsafeMutablePointer<Float> { scales + t * (cols / 32) }
    @inline(__always) func tokenSums(_ t: Int) -> UnsafeMutablePointer<Float> { sums + t * (cols / 32) }
}

extension Kernels {
    /// Reference: quantizes `tokens × cols` floats (GGML `quantize_row_q8_1`: d = amax / 127, q = round(x · 127 / amax)
    /// to nearest even, d and s stored as F16).
    public static func quantizeActivationsReference(_ x: UnsafePointer<Float>, into a: Q8Activations) {
        for t in 0..<a.tokens {
            for b in 0..<(a.cols / 32) {
                let xb = x + t * a.cols + b * 32
                var amax: Float = 0
                for i in 0..<32 { amax = max(amax, abs(xb[i])) }
                let id: Float = amax != 0 ? 127 / amax : 0
                var sum = 0
                for i in 0..<32 {
                    let q = Int8((xb[i] * id).rounded(.toNearestOrEven))
                    a.tokenQs(t)[b * 32 + i] = q
                    sum += Int(q)
                }
                let d = Float(Float16(amax / 127))
                a.tokenScales(t)[b] = d
                a.tokenSums(t)[b] = Float(Float16(Float(sum) * (amax / 127)))
            }
        }
    }

    /// Fast version of `quantizeActivationsReference` (the kernel set's C code), bit-identical.
    public static func quantizeActivations(_ x: UnsafePointer<Float>, into a: Q8Activations, kernels: KernelSet? = nil) {
        table(kernels).pointee.quantize_q8_1!(x, Int32(a.tokens * a.cols / 32), a.qs, a.scales, a.sums)
    }
}
