import ArgumentParser
import Foundation
import HeadwayEngine
import HeadwayGGUF

/// Options shared by the engine commands: which model, how many threads.
struct ModelOptions: ParsableArguments {
    static let defaultModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "GGUF model file (llama architecture).")
    var model: String = ModelOptions.defaultModel

    @Option(help: "Worker threads for the matrix products.")
    var threads: Int = 2

    @Option(help: "Context length in tokens (K/V cache capacity).")
    var context: Int = 2048

    @Option(name: .customLong("kv-cache"), help: ArgumentHelp(
        "K/V cache format: f16, q8_0, or q8_0:SINKS:RECENT (Q8_0 except the first SINKS and the RECENT newest positions, kept in F16).",
        valueName: "format"))
    var kvCache: String = KVCacheFormat.standard.description

    /// The parsed `--kv-cache` (checked by `validate`).
    var cacheFormat: KVCacheFormat { KVCacheFormat(kvCache) ?? .standard }

    func validate() throws {
        guard KVCacheFormat(kvCache) != nil else {
            throw ValidationError("--kv-cache '\(kvCache)' is not a format: use f16, q8_0 or q8_0:SINKS:RECENT (e.g. \(KVCacheFormat.standard))")
        }
        guard threads >= 1 && threads <= 64 else { throw ValidationError("--threads must be in 1...64, got \(threads)") }
        guard context >= 1 else { throw ValidationError("--context must be positive, got \(context)") }
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError(
                "model file '\(model)' not found. Fetch SmolLM2-135M with scripts/fetch-model.sh (it writes \(ModelOptions.defaultModel)), or pass --model PATH.")
        }
    }

    func load() throws -> LlamaModel {
        let loaded: LlamaModel
        do {
            loaded = try LlamaModel(path: model)
        } catch {
            throw ValidationError("\(error)")
        }
        let c = loaded.configuration
        let headDim = c.headDim
        guard cacheFormat.supports(headDim: headDim) else {
            throw ValidationError("--kv-cache \(cacheFormat) needs a head dimension that is a multiple of 32; \(model) has \(headDim)")
        }
        // RoPE positions past the trained context are not meaningful, and the K/V caches and the RoPE table are sized
        // by --context up front: it must fit both the model and this machine's memory.
        guard context <= c.trainedContextLength else {
            throw ValidationError(
                "--context \(context) exceeds the model's trained context length \(c.trainedContextLength) (\(model): \(GGUFKey.contextLength(loaded.file.architecture ?? "llama")))")
        }
        // Per position: every K/V cache's bytes (the F16 size, an upper bound for Q8_0) and one RoPE table row.
        let perPosition = Double(c.layerCount) * Double(c.kvHeadCount) * Double(cacheFormat.bytes(positions: 1, headDim: headDim))
            + 4 * Double(headDim)
        let needed = perPosition * Double(context)
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard needed <= physical else {
            throw ValidationError(String(
                format: "--context %d needs %.1f GB of K/V cache and RoPE table, more than this machine's %.1f GB of memory",
                context, needed / 1e9, physical / 1e9))
        }
        return loaded
    }

    /// A session on `model` with these options' context length and cache format.
    func session(_ model: LlamaModel, pool: WorkerPool) -> LlamaSession {
        LlamaSession(model: model, contextLength: context, pool: pool, cacheFormat: cacheFormat)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with the local engine, streaming it to stdout (speed on stderr).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "The prompt.")
    var prompt: String

    @Option(help: "Maximum tokens to generate.")
    var maxTokens: Int = 128

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 0

    @Option(help: "Keep the K most likely tokens (0 = all).")
    var topK: Int = 40

    @Option(help: "Keep the most likely tokens up to this cumulative probability (1 = all).")
    var topP: Float = 0.95

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Wrap the prompt in the model's chat template (as a user message).")
    var chat = false

    @Option(help: "Output format: text (streamed) or json (one object at the end).")
    var format: Format = .text

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
    }

    func run() throws {
        let model = try modelOptions.load()
        let tokenizer = try Tokenizer(gguf: model.file)
        var text = prompt
        if chat { text = try ChatTemplate(gguf: model.file).render([.user(prompt)]) }
        let promptTokens = tokenizer.encode(text, addSpecial: true, parseSpecial: chat)
        guard !promptTokens.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        guard maxTokens <= modelOptions.context - promptTokens.count else {
            throw ValidationError("prompt (\(promptTokens.count) tokens) + --max-tokens \(maxTokens) exceed --context \(modelOptions.context)")
        }
        var sampler = Sampler(SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
                              vocabSize: model.configuration.vocabSize)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var generated = ""
        let streaming = format == .text
        // The session (and its K/V caches) is released before the summary is formatted.
        let result = try {
            var session = modelOptions.session(model, pool: WorkerPool(threads: modelOptions.threads))
            return try session.generate(
                prompt: promptTokens, maxTokens: maxTokens, sampler: &sampler, isStop: tokenizer.isEndOfGeneration
            ) { token in
                let piece = decoder.append(token)
                generated += piece
                if streaming && !piece.isEmpty { CLI.writeStdout(piece) }
            }
        }()
        let tail = decoder.finish()
        generated += tail
        switch format {
        case .text:
            CLI.writeStdout(tail + "\n")
            CLI.writeStderr(String(format: "\n%d prompt tokens, %d generated; prefill %.1f tok/s, decode %.1f tok/s (%d threads)\n",
                               promptTokens.count, result.tokens.count, result.prefillTokensPerSecond,
                               result.decodeTokensPerSecond, modelOptions.threads))
        case .json:
            let output = Output(
                prompt_tokens: promptTokens.count, tokens: result.tokens.map(Int.init), text: generated,
                decode_tokens_per_second: result.decodeTokensPerSecond,
                prefill_tokens_per_second: result.prefillTokensPerSecond)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            CLI.writeStdout(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n")
        }
    }

    /// `--format json`: one object.
    struct Output: Encodable {
        var prompt_tokens: Int
        var tokens: [Int]
        var text: String
        var decode_tokens_per_second: Double
        var prefill_tokens_per_second: Double
    }
}
