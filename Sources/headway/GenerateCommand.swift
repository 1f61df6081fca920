import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayEngine
import HeadwayGGUF
import HeadwayRuntime

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

    @Option(help: ArgumentHelp(
        "Kernel set: avx512-vnni, avx2, sse4, portable or neon (default: $HEADWAY_KERNELS if set, else the best this CPU runs).",
        valueName: "set"))
    var kernels: String?

    /// The parsed `--kv-cache` (checked by `validate`).
    var cacheFormat: KVCacheFormat { KVCacheFormat(kvCache) ?? .standard }

    func validate() throws {
        guard KVCacheFormat(kvCache) != nil else {
            throw ValidationError("--kv-cache '\(kvCache)' is not a format: use f16, q8_0 or q8_0:SINKS:RECENT (e.g. \(KVCacheFormat.standard))")
        }
        if let kernels {
            do { _ = try KernelSet.named(kernels) } catch { throw ValidationError("--kernels: \(error.message)") }
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
            if let kernels { try KernelSet.use(try KernelSet.named(kernels)) }
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

    @OptionGroup(title: "Running over workers") var clusterOptions: ClusterOptions

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

    @Flag(help: "Keep generating past end-of-text tokens, up to --max-tokens (for benchmarks and experiments).")
    var ignoreEos = false

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
        if clusterOptions.distributed {
            try runDistributed(model: model, tokenizer: tokenizer, prompt: promptTokens, sampler: &sampler, decoder: &decoder)
            return
        }
        // The session (and its K/V caches) is released before the summary is formatted.
        let result = try {
            var session = modelOptions.session(model, pool: WorkerPool(threads: modelOptions.threads))
            return try session.generate(
                prompt: promptTokens, maxTokens: maxTokens, sampler: &sampler, isStop: ignoreEos ? { _ in false } : tokenizer.isEndOfGeneration
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
                kernels: KernelSet.active.rawValue,
                decode_tokens_per_second: result.decodeTokensPerSecond,
                prefill_tokens_per_second: result.prefillTokensPerSecond)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            CLI.writeStdout(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n")
        }
    }

    /// The coordinator: the same generation over workers (`--workers` or `--local-workers`).
    func runDistributed(
        model: LlamaModel, tokenizer: Tokenizer, prompt: [Int32], sampler: inout Sampler, decoder: inout StreamingDecoder
    ) throws {
        let workers = try WorkerCluster(clusterOptions, model: modelOptions)
        defer { workers.shutdown() }
        let local = try DeviceExecutor(model: model, name: "coordinator", threads: modelOptions.threads, maxContext: modelOptions.context)
        var options = clusterOptions.coordinatorOptions(modelOptions)
        options.fixedPlacement = ClusterOptions.placement(
            clusterOptions.placement, layout: BlockLayout(shape: model.shape), workers: workers.remotes.count)
        let coordinator = try Coordinator(model: model, local: local, remotes: workers.remotes, options: options)
        let streaming = format == .text
        var generated = ""
        var report = try coordinator.generate(prompt: prompt, maxTokens: maxTokens, sampler: &sampler,
                                              isStop: ignoreEos ? { _ in false } : tokenizer.isEndOfGeneration) { token in
            let piece = decoder.append(token)
            generated += piece
            if streaming && !piece.isEmpty { CLI.writeStdout(piece) }
        }
        let tail = decoder.finish()
        generated += tail
        report.text = generated
        switch format {
        case .text:
            CLI.writeStdout(tail + "\n")
            let predicted = report.epochs.last?.predicted_ms_per_token ?? 0
            CLI.writeStderr(String(format: "\n%d prompt tokens, %d generated over %d devices; prefill %.0f ms, decode %.1f tok/s; %d migrations; model predicted %.2f ms/token, measured %.2f\n",
                                   prompt.count, report.tokens.count, report.devices.count, report.prefill_ms,
                                   report.decode_tokens_per_second, report.migrations.count, predicted,
                                   report.epochs.last?.measured_ms_per_token ?? 0))
        case .json:
            CLI.writeStdout(try CLI.encode(report))
        }
    }

    /// `--format json`: one object.
    struct Output: Encodable {
        var prompt_tokens: Int
        var tokens: [Int]
        var text: String
        /// The kernel set that ran (`KernelSet`).
        var kernels: String
        var decode_tokens_per_second: Double
        var prefill_tokens_per_second: Double
    }
}
