import Foundation
import HeadwayCore
import HeadwayEngine

/// The engine in this process as a backend: one device holding every block, sequences interleaved per token on
/// one engine thread (`EngineLoop`).
public final class LocalBackend: InferenceBackend, @unchecked Sendable {
    public let modelID: String
    public let contextLength: Int
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    public let model: LlamaModel
    /// Memory this device offers; a model (with one sequence's full K/V cache) that needs more is refused with 503.
    public let memoryBytes: Int
    private let loop: EngineLoop
    private let deviceName: String

    /// - Parameters:
    ///   - maxActiveSequences: sequences generated at once (interleaved); more wait in a queue of `maxQueued`.
    ///   - memoryBytes: memory the device offers (default: the machine's physical memory).
    public init(
        modelPath: String, threads: Int = 2, contextLength: Int = 2048, cacheFormat: KVCacheFormat = .standard,
        maxActiveSequences: Int = 16, maxQueued: Int = 256, memoryBytes: Int? = nil
    ) throws {
        guard threads >= 1, contextLength >= 2, maxActiveSequences >= 1, maxQueued >= 0 else {
            throw ServerError(.invalidValue,
                "LocalBackend: threads \(threads), context \(contextLength), sequences \(maxActiveSequences), queue \(maxQueued): each must be positive")
        }
        model = try LlamaModel(path: modelPath)
        guard cacheFormat.supports(headDim: model.configuration.headDim) else {
            throw ServerError(.invalidValue,
                "K/V cache format \(cacheFormat) needs a head dimension that is a multiple of 32; \(modelPath) has \(model.configuration.headDim)")
        }
        tokenizer = try Tokenizer(gguf: model.file)
        chatTemplate = try? ChatTemplate(gguf: model.file)
        self.contextLength = contextLength
        let name = URL(fileURLWithPath: modelPath).lastPathComponent
        modelID = name.hasSuffix(".gguf") ? String(name.dropLast(5)) : name
        self.memoryBytes = memoryBytes ?? Int(ProcessInfo.processInfo.physicalMemory)
        deviceName = "local (\(ProcessInfo.processInfo.hostName), \(threads) threads)"
        loop = EngineLoop(model: model, tokenizer: tokenizer, contextLength: contextLength, cacheFormat: cacheFormat,
                          threads: threads, maxActive: maxActiveSequences, maxQueued: maxQueued)
        cacheBytesPerSequence = model.configuration.layerCount * model.configuration.kvHeadCount
            * cacheFormat.bytes(positions: contextLength, headDim: model.configuration.headDim)
    }

    /// One sequence's K/V caches with a full context.
    public let cacheBytesPerSequence: Int

    /// The model's weights plus one sequence's full cache: what a device must hold to generate at all.
    public var requiredBytes: Int { model.file.fileSize + cacheBytesPerSequence }

    deinit { loop.stop() }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<Int32, any Error> {
        guard requiredBytes <= memoryBytes else {
            let error = ServerError(.unavailable,
                "no device can hold \(modelID): it needs \(requiredBytes) bytes (weights \(model.file.fileSize) + one sequence's K/V cache \(cacheBytesPerSequence)), the one device (\(deviceName)) offers \(memoryBytes)")
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
        return loop.submit(request)
    }

    public func status() async -> ClusterStatus {
        let c = model.configuration
        let layout = BlockLayout(shape: ModelShape(
            name: modelID, layerCount: c.layerCount, modelDim: c.modelDim, headCount: c.headCount,
            kvHeadCount: c.kvHeadCount, headDim: c.headDim, ffnDim: c.ffnDim, vocabSize: c.vocabSize))
        let s = loop.snapshot()
        return ClusterStatus(
            model: modelID, layers: c.layerCount, groupsPerLayer: c.kvHeadCount, mode: "local",
            scheduling: "one engine thread; up to \(loop.maxActive) sequences interleaved one token (or one \(loop.prefillChunk)-token prompt chunk) at a time, the rest queued",
            devices: [.init(id: 0, name: deviceName, up: requiredBytes <= memoryBytes, memoryBytes: memoryBytes)],
            placement: ClusterStatus.placedBlocks(layout, Placement(blockCount: layout.count, allOn: 0)),
            tokenLatencies: s.samples, activeSequences: s.active, queuedSequences: s.queued, tokensGenerated: s.tokens)
    }
}
