import Foundation
import HeadwayEngine
import HeadwayGGUF
import Testing

@Suite struct BadModelFileTests {
    /// Loads a tiny model variant and returns the error it throws.
    func loadError(_ tiny: TinyLlama) -> EngineError? {
        do {
            _ = try tiny.model()
            return nil
        } catch let error as EngineError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func wellFormedTinyModelLoads() throws {
        let model = try TinyLlama().model()
        #expect(model.configuration.layerCount == 2 && model.configuration.headDim == 16)
        #expect(model.weights.tiedEmbeddings)
    }

    @Test func wrongArchitectureIsRejected() {
        let e = loadError(TinyLlama(architecture: "gpt2"))
        #expect(e?.code == .unsupportedArchitecture && e!.message.contains("tiny.gguf") && e!.message.contains("gpt2"), "\(String(describing: e))")
    }

    @Test(arguments: [TensorName.attentionKey(1), TensorName.ffnDown(0), TensorName.outputNorm, TensorName.tokenEmbedding])
    func missingTensorIsNamed(_ name: String) {
        let e = loadError(TinyLlama(omit: [name]))
        #expect(e?.code == .missingTensor && e!.message.contains(name) && e!.message.contains("tiny.gguf"), "\(String(describing: e))")
    }

    @Test(arguments: [TensorName.attentionQuery(0), TensorName.ffnNorm(1), TensorName.ffnUp(1)])
    func wrongTensorShapeIsNamed(_ name: String) {
        let e = loadError(TinyLlama(wrongShape: [name]))
        #expect(e?.code == .wrongTensorShape && e!.message.contains(name), "\(String(describing: e))")
    }

    @Test func unsupportedQuantTypeIsNamed() {
        let name = TensorName.attentionValue(1)
        let e = loadError(TinyLlama(unsupportedType: [name]))
        #expect(e?.code == .unsupportedTensorType && e!.message.contains(name) && e!.message.contains("Q5_0"), "\(String(describing: e))")
    }

    @Test func missingMetadataIsNamed() {
        let key = GGUFKey.blockCount("llama")
        let e = loadError(TinyLlama(omitMetadata: [key]))
        #expect(e?.code == .missingMetadata && e!.message.contains(key), "\(String(describing: e))")
    }

    @Test func truncatedAndGarbageFilesThrowUnreadable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headway-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = TinyLlama().gguf()
        let cases: [(String, [UInt8])] = [
            ("truncated.gguf", Array(bytes.prefix(bytes.count / 2))),
            ("header-only.gguf", Array(bytes.prefix(10))),
            ("garbage.gguf", [UInt8](repeating: 0x41, count: 4096)),
            ("empty.gguf", []),
        ]
        for (name, content) in cases {
            let path = dir.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: path, contents: Data(content))
            do {
                _ = try LlamaModel(path: path)
                Issue.record("\(name) loaded")
            } catch {
                #expect(error.code == .unreadableFile && error.message.contains(name), "\(error)")
            }
        }
        do {
            _ = try LlamaModel(path: dir.appendingPathComponent("absent.gguf").path)
            Issue.record("absent file loaded")
        } catch {
            #expect(error.code == .unreadableFile && error.message.contains("absent.gguf"))
        }
    }
}
