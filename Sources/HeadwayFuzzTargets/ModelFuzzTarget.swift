import HeadwayEngine
import HeadwayGGUF

/// The model loader behind the GGUF reader, as `headway generate` uses it: `LlamaModel` (hyperparameters, every
/// tensor's shape and type), the tokenizer and chat template from the metadata, then one prompt through a session with
/// a 4-position context (so an accepted model is also one that runs).
public enum ModelFuzzTarget: FuzzTarget {
    public static let name = "model"
    static let fileName = "fuzz-model.gguf"

    public static var maxInputBytes: Int { 16384 }

    public static func seeds() -> [[UInt8]] { [FuzzModels.tiny(headDim: 32), FuzzModels.tiny(headDim: 16)] }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let model: LlamaModel
        do {
            model = try LlamaModel(file: GGUFFile(bytes: Array(input), name: fileName))
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
