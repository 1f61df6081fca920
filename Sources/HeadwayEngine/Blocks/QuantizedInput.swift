/// Activations in the form a block's first matrix product quantizes them to (8-bit blocks of 32, as `Q8Activations`),
/// packed as GGML's `block_q8_1` (scale `d` and sum `s` as F16, then 32 × Int8: 36 bytes per 32 values, 1.125 bytes
/// a value against F32's 4). A device that sends these instead of F32 saves the receiver nothing but the
/// quantization, and the link 72 % of the bytes; the receiver's products are bit-identical, because they would have
/// computed exactly these bytes from the F32 values (quantization is bit-identical on every kernel set).
public enum Q8Rows {
    public static let blockBytes = 36

    /// Bytes of `tokens × cols` values (`cols` a multiple of 32).
    public static func byteCount(tokens: Int, cols: Int) -> Int { tokens * (cols / 32) * blockBytes }

    /// Writes the view's blocks, token by token, into `out` (`byteCount(tokens:cols:)` bytes).
    public static func pack(_ a: Q8Activations, into out: UnsafeMutableRawPointer) {
        let blocks = a.cols / 32
        for t in 0..<a.tokens {
            for b in 0..<blocks {
                let o = out + (t * blocks + b) * blockBytes
                o.storeBytes(of: Float16(a.tokenScales(t)[b]).bitPattern.littleEndian, as: UInt16.self)
                (o + 2).storeBytes(of: Float16(a.tokenSums(t)[b]).bitPattern.littleEndian, as: UInt16.self)
                (o + 4).copyMemory(from: a.tokenQs(t) + b * 32, byteCount: 32)
            }
        }
    }

    /// Reads packed blocks (`byteCount(tokens:cols:)` bytes, checked by the caller) into the view.
    public static func unpack(_ bytes: UnsafeRawPointer, into a: Q8Activations) {
        let blocks = a.cols / 32
        for t in 0..<a.tokens {
            for b in 0..<blocks {
                let i = bytes + (t * blocks + b) * blockBytes
                a.tokenScales(t)[b] = Float(Float16(bitPattern: UInt16(littleEndian: i.loadUnaligned(as: UInt16.self))))
                a.tokenSums(t)[b] = Float(Float16(bitPattern: UInt16(littleEndian: (i + 2).loadUnaligned(as: UInt16.self))))
                UnsafeMutableRawPointer(a.tokenQs(t) + b * 32).copyMemory(from: i + 4, byteCount: 32)
            }
        }
    }

    /// Quantizes `tokens × cols` floats and packs them (`scratch`: `Q8Activations.floatCount(tokens:cols:)` floats).
    public static func quantize(_ x: UnsafePointer<Float>, tokens: Int, cols: Int, scratch: UnsafeMutablePointer<Float>,
                                into out: UnsafeMutableRawPointer) {
        let a = Q8Activations(carving: scratch, tokens: tokens, cols: cols)
        Kernels.quantizeActivations(x, into: a)
        pack(a, into: out)
    }
}

extension WeightType {
    /// Products with this weight type read only the quantized activations.
    var readsQuantizedActivations: Bool {
        switch self {
        case .q4_0, .q4_1, .q8_0: true
        case .f32, .f16: false
        }
    }
}

extension AttentionBlock {
    /// The block's Q, K and V products read only the quantized normalized input (see `Q8Rows`).
    public var takesQuantizedInput: Bool {
        wq.type.readsQuantizedActivations && wk.type.readsQuantizedActivations && wv.type.readsQuantizedActivations
    }
}

extension ProjectionBlock {
    /// The projection reads only the quantized head outputs (see `Q8Rows`).
    public var takesQuantizedHeads: Bool { wo.type.readsQuantizedActivations }
}

extension LayerAttention {
    /// The input of every group's Q, K and V products: RMSNorm of the residual stream `x` (`n × modelDim`) with the
    /// layer's attention norm into `xn`, then its Q8 quantization into `xq`. `forward` runs exactly this.
    public static func normalizedInput(
        norm: [Float], _ c: LlamaConfiguration, _ x: UnsafePointer<Float>, tokens n: Int,
        xn: UnsafeMutablePointer<Float>, into xq: Q8Activations
    ) {
        norm.withUnsafeBufferPointer { w in
            for t in 0..<n { Kernels.rmsNorm(x + t * c.modelDim, weight: w.baseAddress!, epsilon: c.rmsEpsilon, count: c.modelDim, into: xn + t * c.modelDim) }
        }
        Kernels.quantizeActivations(xn, into: xq)
    }
}
