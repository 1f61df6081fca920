import HeadwayEngine
import HeadwayGGUF

/// Builds small random llama models as in-memory GGUF files, so loader, block and forward tests need no download.
struct TinyLlama {
    var layers = 2
    var modelDim = 64
    var heads = 4
    var kvHeads = 2
    var ffnDim = 96
    var vocab = 97
    var seed: UInt64 = 1
    var weightType: WeightType = .q4_1
    var embeddingType: WeightType = .q8_0
    var architecture = "llama"
    /// Tensors to leave out, replace with a wrong shape, or store as an unsupported type (Q5_0).
    var omit: Set<String> = []
    var wrongShape: Set<String> = []
    var unsupportedType: Set<String> = []
    var omitMetadata: Set<String> = []

    var headDim: Int { modelDim / heads }

    func gguf() -> [UInt8] {
        var w = GGUFWriter()
        let a = architecture
        let meta: [(String, GGUFValue)] = [
            (GGUFKey.architecture, .string(a)),
            (GGUFKey.blockCount(a), .uint32(UInt32(layers))),
            (GGUFKey.embeddingLength(a), .uint32(UInt32(modelDim))),
            (GGUFKey.feedForwardLength(a), .uint32(UInt32(ffnDim))),
            (GGUFKey.headCount(a), .uint32(UInt32(heads))),
            (GGUFKey.headCountKV(a), .uint32(UInt32(kvHeads))),
            (GGUFKey.rmsNormEpsilon(a), .float32(1e-5)),
            (GGUFKey.ropeFreqBase(a), .float32(10000)),
            (GGUFKey.contextLength(a), .uint32(256)),
        ]
        for (k, v) in meta where !omitMetadata.contains(k) { w.add(k, v) }
        var tensorSeed = seed &* 1000
        func matrix(_ name: String, rows: Int, cols: Int, type: WeightType, scale: Float) {
            guard !omit.contains(name) else { return }
            tensorSeed += 1
            var (r, c) = (rows, cols)
            if wrongShape.contains(name) { r += 1 }
            if unsupportedType.contains(name) {
                w.addTensor(name, type: .q5_0, dimensions: [c, r], bytes: [UInt8](repeating: 0, count: r * c / 32 * 22))
                return
            }
            let values = randomFloats(r * c, seed: tensorSeed, scale: scale)
            w.addTensor(name, type: GGMLType(type), dimensions: [c, r], bytes: Quantize.matrix(values, rows: r, cols: c, as: type))
        }
        func norm(_ name: String) {
            guard !omit.contains(name) else { return }
            tensorSeed += 1
            let n = wrongShape.contains(name) ? modelDim + 1 : modelDim
            w.addTensor(name, float32: randomFloats(n, seed: tensorSeed, scale: 0.2).map { 1 + $0 }, dimensions: [n])
        }
        matrix(TensorName.tokenEmbedding, rows: vocab, cols: modelDim, type: embeddingType, scale: 1)
        for l in 0..<layers {
            norm(TensorName.attentionNorm(l))
            matrix(TensorName.attentionQuery(l), rows: heads * headDim, cols: modelDim, type: weightType, scale: 0.3)
            matrix(TensorName.attentionKey(l), rows: kvHeads * headDim, cols: modelDim, type: weightType, scale: 0.3)
            matrix(TensorName.attentionValue(l), rows: kvHeads * headDim, cols: modelDim, type: weightType, scale: 0.3)
            matrix(TensorName.attentionOutput(l), rows: modelDim, cols: heads * headDim, type: weightType, scale: 0.2)
            norm(TensorName.ffnNorm(l))
            matrix(TensorName.ffnGate(l), rows: ffnDim, cols: modelDim, type: weightType, scale: 0.2)
            matrix(TensorName.ffnUp(l), rows: ffnDim, cols: modelDim, type: weightType, scale: 0.2)
            matrix(TensorName.ffnDown(l), rows: modelDim, cols: ffnDim, type: weightType, scale: 0.2)
        }
        norm(TensorName.outputNorm)
        return w.serialize()
    }

    func model() throws -> LlamaModel {
        try LlamaModel(file: GGUFFile(bytes: gguf(), name: "tiny.gguf"))
    }
}

extension GGMLType {
    init(_ type: WeightType) {
        switch type {
        case .f32: self = .f32
        case .f16: self = .f16
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q8_0: self = .q8_0
        }
    }
}
