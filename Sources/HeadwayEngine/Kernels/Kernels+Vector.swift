import CHeadwayKernels
import Foundation

/// Element-wise and normalisation kernels on float vectors, run by the kernel set's C code (`KernelSet`).
extension Kernels {
    /// RMSNorm: `out = x / sqrt(mean(x²) + ε) ⊙ weight` over `count` elements. `out` may alias `x`.
    /// Like GGML, the squares are summed in `Double` and the mean rounded to `Float` once: the next step quantizes
    /// the result to 8 bits, and a scale one ulp off flips exact rounding ties (llama.cpp agreement depends on it).
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, count: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        table().pointee.rms_norm!(x, weight, epsilon, Int32(count), out)
    }

    /// In-place softmax over `count` elements, computed in float with the maximum subtracted; e^x 16 lanes at a time
    /// (a polynomial within 2 ulp of `expf`), the sum in 16 lanes.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int, kernels: KernelSet? = nil) {
        table(kernels).pointee.softmax!(x, Int32(count))
    }

    /// The plain form of `softmax` (scalar `expf`, sequential sum): the reference it is tested against.
    public static func softmaxReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, x[i]) }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<count { x[i] *= inv }
    }

    /// SwiGLU gate: `gate[i] = silu(gate[i]) · up[i]`, with `silu(g) = g / (1 + e^(−g))`.
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        table().pointee.swiglu!(gate, up, Int32(count))
    }

    /// `y += x` over `count` elements.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        table().pointee.add!(x, y, Int32(count))
    }

    /// Fills `cos`/`sin` (`headDim / 2` each) with the rotation of each pair at `position`:
    /// angle_i = position · base^(−2i / headDim).
    public static func ropeAngles(
        position: Int, headDim: Int, base: Float, cos cosOut: UnsafeMutablePointer<Float>,
        sin sinOut: UnsafeMutablePointer<Float>
    ) {
        let thetaScale = powf(base, -2 / Float(headDim))
        var theta = Float(position)
        for i in 0..<(headDim / 2) {
            cosOut[i] = cosf(theta)
            sinOut[i] = sinf(theta)
            theta *= thetaScale
        }
    }

    /// RoPE as llama.cpp applies it to `general.architecture = llama` ("normal" rope type): each head's adjacent
    /// pairs `(x[2i], x[2i+1])` are rotated by angle_i. `x` holds `heads` heads of `headDim` floats.
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        table().pointee.rope!(x, Int32(heads), Int32(headDim), cos, sin)
    }

    /// Rounds each value to the nearest F16 (ties to even), in place: what storing to and loading from F16 does.
    public static func roundToHalf(_ x: UnsafeMutablePointer<Float>, count: Int, kernels: KernelSet? = nil) {
        table(kernels).pointee.round_to_half!(x, Int32(count))
    }
}
