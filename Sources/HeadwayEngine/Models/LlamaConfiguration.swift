public import HeadwayCore
import HeadwayGGUF

/// Hyperparameters of a llama-architecture model, read from GGUF metadata (`{arch}` = `general.architecture`).
public struct LlamaConfiguration: Sendable, Hashable {
    /// Decoder layers. GGUF: `{arch}.block_count`.
    public var layerCount: Int
    /// Width of the residual stream. GGUF: `{arch}.embedding_length`.
    public var modelDim: Int
    /// Query heads. GGUF: `{arch}.attention.head_count`.
    public var headCount: Int
    /// K/V heads (= K/V groups). GGUF: `{arch}.attention.head_count_kv` (default: head_count).
    public var kvHeadCount: Int
    /// Width of one head. GGUF: `{arch}.attention.key_length` (default: modelDim / headCount).
    public var headDim: Int
    /// FFN hidden width. GGUF: `{arch}.feed_forward_length`.
    public var ffnDim: Int
    /// Rows of the embedding table.
    public var vocabSize: Int
    /// RMSNorm ε. GGUF: `{arch}.attention.layer_norm_rms_epsilon` (default 1e-5).
    public var rmsEpsilon: Float
    /// RoPE base. GGUF: `{arch}.rope.freq_base` (default 10000).
    public var ropeBase: Float
    /// Training context. GGUF: `{arch}.context_length` (default 2048).
    public var trainedContextLength: Int

    public init(
        layerCount: Int, modelDim: Int, headCount: Int, kvHeadCount: Int, headDim: Int, ffnDim: Int, vocabSize: Int,
        rmsEpsilon: Float = 1e-5, ropeBase: Float = 10000, trainedContextLength: Int = 2048
    ) {
        self.layerCount = layerCount
        self.modelDim = modelDim
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.ffnDim = ffnDim
        self.vocabSize = vocabSize
        self.rmsEpsilon = rmsEpsilon
        self.ropeBase = ropeBase
        self.trainedContextLength = trainedContextLength
    }

    /// Query heads per K/V group.
    public var queriesPerGroup: Int { headCount / kvHeadCount }
    /// Width of all query heads (`headCount · headDim`).
    public var queryDim: Int { headCount * headDim }
    /// Width of one group's head outputs (`queriesPerGroup · headDim`).
    public var groupDim: Int { queriesPerGroup * headDim }

    /// The engine's configuration of a model of shape `shape` (its dimensions; the vocabulary is the embedding
    /// table's row count, which `vocabSize` overrides) with the engine-only hyperparameters.
    public init(shape: ModelShape, vocabSize: Int? = nil, rmsEpsilon: Float = 1e-5, ropeBase: Float = 10000,
                trainedContextLength: Int = 2048) {
        self.init(
            layerCount: shape.layerCount, modelDim: shape.modelDim, headCount: shape.headCount,
            kvHeadCount: shape.kvHeadCount, headDim: shape.headDim, ffnDim: shape.ffnDim,
            vocabSize: vocabSize ?? shape.vocabSize, rmsEpsilon: rmsEpsilon, ropeBase: ropeBase,
            trainedContextLength: trainedContextLength)
    }

    /// Reads and checks the hyperparameters of `file`: its dimensions from `ModelShape(gguf:)` (the one reader of
    /// the shape keys), the engine's own keys (RMSNorm ε, RoPE base, training context) here, then the limits of
    /// this engine's kernels.
    /// - Throws: `EngineError` (`.unsupportedArchitecture`, `.missingMetadata`, `.missingTensor`,
    ///   `.invalidArgument`) naming the file, the key and its value.
    public init(gguf file: GGUFFile) throws(EngineError) {
        try self.init(gguf: file, shape: Self.shape(of: file))
    }

    /// As `init(gguf:)`, from the shape already read from `file`.
    init(gguf file: GGUFFile, shape: ModelShape) throws(EngineError) {
        let name = file.name
        let arch = file.architecture ?? ""
        func int(_ key: String, default value: Int) throws(EngineError) -> Int {
            guard file.value(key) != nil else { return value }
            guard let v = file.int(key) else {
                throw EngineError(.missingMetadata, "\(name): metadata '\(key)' = \(file.value(key)!) is not an integer")
            }
            guard v > 0 else { throw EngineError(.invalidArgument, "\(name): metadata '\(key)' = \(v) must be positive") }
            return v
        }
        func float(_ key: String, default value: Float) throws(EngineError) -> Float {
            guard file.value(key) != nil else { return value }
            guard let v = file.float(key), v > 0, v.isFinite else {
                throw EngineError(.missingMetadata, "\(name): metadata '\(key)' = \(file.value(key)!) is not a positive number")
            }
            return Float(v)
        }
        // Each layer is 9 tensors; a count the tensor index cannot hold is rejected before anything is sized by it.
        guard shape.layerCount <= file.tensors.count / Self.tensorsPerLayer else {
            throw EngineError(.invalidArgument,
                "\(name): metadata '\(GGUFKey.blockCount(arch))' = \(shape.layerCount) layers, but the file has only \(file.tensors.count) tensors (\(Self.tensorsPerLayer) per layer)")
        }
        guard let embedding = file.tensor(named: TensorName.tokenEmbedding) else {
            throw EngineError(.missingTensor, "\(name): tensor '\(TensorName.tokenEmbedding)' is missing")
        }
        self.init(
            shape: shape, vocabSize: embedding.rowCount,
            rmsEpsilon: try float(GGUFKey.rmsNormEpsilon(arch), default: 1e-5),
            ropeBase: try float(GGUFKey.ropeFreqBase(arch), default: 10000),
            trainedContextLength: try int(GGUFKey.contextLength(arch), default: 2048))
        guard headDim % 2 == 0 else {
            throw EngineError(.invalidArgument, "\(name): head dimension \(headDim) must be even for RoPE")
        }
        try checkProducts(source: name)
        // Activations are quantized to 8 bits in blocks of 32 before every matrix product.
        for (what, v) in [(GGUFKey.embeddingLength(arch), modelDim), (GGUFKey.feedForwardLength(arch), ffnDim),
                          ("head_count × head dimension", queryDim)] where v % 32 != 0 {
            throw EngineError(.invalidArgument,
                "\(name): \(what) = \(v) is not a multiple of 32, which the engine's kernels need")
        }
    }

    /// The architecture check, then `ModelShape(gguf:)`, its `GGUFError` as an `EngineError` (same message).
    static func shape(of file: GGUFFile) throws(EngineError) -> ModelShape {
        let name = file.name
        guard let arch = file.architecture else {
            throw EngineError(.missingMetadata, "\(name): metadata '\(GGUFKey.architecture)' is missing")
        }
        guard LlamaConfiguration.architectures.contains(arch) else {
            throw EngineError(.unsupportedArchitecture,
                "\(name): architecture '\(arch)' is not supported (supported: \(LlamaConfiguration.architectures.sorted().joined(separator: ", ")))")
        }
        do {
            return try ModelShape(gguf: file)
        } catch let e as GGUFError {
            let code: EngineError.Code = switch e.code {
            case .missingKey: .missingMetadata
            case .missingTensor: .missingTensor
            default: .invalidArgument
            }
            throw EngineError(code, e.message)
        } catch {
            throw EngineError(.invalidArgument, "\(name): \(error)")
        }
    }

    /// Tensors of one decoder layer (two norms, Q, K, V, output, gate, up, down).
    static let tensorsPerLayer = 9

    /// Checks that every width derived from the hyperparameters (`queryDim`, the K/V width, a matrix's element count)
    /// fits in `Int`, so that sizing buffers from them cannot overflow. Tensor shapes are checked against them later.
    /// - Throws: `EngineError.Code.invalidArgument` naming `source` and the values.
    public func checkProducts(source: String) throws(EngineError) {
        func product(_ a: Int, _ b: Int, _ what: String) throws(EngineError) -> Int {
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            guard !overflow, a >= 0, b >= 0 else {
                throw EngineError(.invalidArgument, "\(source): \(what) = \(a) × \(b) overflows")
            }
            return p
        }
        let q = try product(headCount, headDim, "head_count × head dimension")
        let kv = try product(kvHeadCount, headDim, "head_count_kv × head dimension")
        _ = try product(q, modelDim, "query width × embedding_length")
        _ = try product(kv, modelDim, "K/V width × embedding_length")
        _ = try product(ffnDim, modelDim, "feed_forward_length × embedding_length")
        _ = try product(vocabSize, modelDim, "vocabulary × embedding_length")
    }

    /// Values of `general.architecture` this engine runs (llama.cpp's `LLM_ARCH_LLAMA` graph).
    public static let architectures: Set<String> = ["llama"]
}
