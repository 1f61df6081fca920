import HeadwayEngine
import HeadwayGGUF

/// The model loader behind the GGUF reader, as `headway generate` uses it: `LlamaModel` (hyperparameters, every
/// tensor's shape and type), the tokenizer and chat template from the metadata, then one prompt through a session with
/// a 4-position context (so an accepted model is also one that runs).
///
/// An input is a GGUF header (metadata and tensor index) without tensor data: the target appends `dataBytes` zero
/// bytes, where the tensors' data then lies (as zeros). So the fuzzer spends its mutations on what the loader reads,
/// and the kept inputs stay small.
public enum ModelFuzzTarget: FuzzTarget {
    public static let name = "model"
    static let fileName = "fuzz-model.gguf"
    /// Zero bytes appended to every input (more than the seeds' tensors take).
    static let dataBytes = 8192

    public static var maxInputBytes: Int { 4096 }

    public static func seeds() -> [[UInt8]] {
        [FuzzModels.tiny(headDim: 32), FuzzModels.tiny(headDim: 16)].map { bytes in
            // The header up to the data section (the tiny models are made by this package and parse).
            let dataOffset = (try? GGUFFile(bytes: bytes).dataOffset) ?? bytes.count
            return Array(bytes.prefix(dataOffset))
        }
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let model: LlamaModel
        do {
            model = try LlamaModel(file: GGUFFile(bytes: Array(input) + [UInt8](repeating: 0, count: dataBytes), name: fileName))
        } catch let e as GGUFError {
            try expect(e, is: GGUFError.self, naming: fileName) { $0.message }
            return false
        } catch {
            try expect(error, is: EngineError.self, naming: fileName) { $0.message }
            return false
        }
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(gguf: model.file)
            _ = try ChatTemplate(gguf: model.file).render([.user("the cat")])
        } catch {
            try expect(error, is: GGUFError.self, naming: fileName) { $0.message }
            return false
        }
        let tokens = tokenizer.encode("<|im_start|>the hat", addSpecial: true)
        _ = tokenizer.decode(tokens, renderSpecial: true)
        guard !tokens.isEmpty else { return true }
        var session = LlamaSession(model: model, contextLength: 4, pool: .serial, maxBatch: 4, cacheFormat: .f16)
        do {
            _ = try session.prefill(Array(tokens.prefix(4)))
        } catch {
            // Only a token id outside the model's embedding table (its vocabulary and the tokenizer's disagree).
            guard error.code == .invalidArgument else { throw FuzzFailure("\(name): prefill failed: \(error)") }
        }
        return true
    }
}
