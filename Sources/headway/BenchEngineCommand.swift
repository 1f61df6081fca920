import ArgumentParser
import Foundation
import HeadwayEngine

struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Measure prefill and decode speed and memory of the local engine, and llama.cpp's on the same file.",
        discussion: """
            llama.cpp is measured when `python3` (or $HEADWAY_LLAMACPP_PYTHON) can import llama_cpp \
            (llama-cpp-python); it runs the same token ids with the same thread count, greedily.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Prompt length in tokens.")
    var promptTokens: Int = 32

    @Option(help: "Tokens to generate per run (greedy).")
    var tokens: Int = 128

    @Option(help: "Measured runs (after one warm-up run); the median is reported.")
    var runs: Int = 3

    @Flag(help: "First fill the whole context and report the peak resident memory then (instead of after the runs).")
    var fillContext = false

    @Option(help: ArgumentHelp(
        "Also compare the --kv-cache format's output with an F16 cache over this many sampled tokens (KL divergence, top-1 agreement; 0: skip).",
        valueName: "tokens"))
    var cacheQuality: Int = 0

    @Flag(help: "Skip the llama.cpp comparison.")
    var noLlamacpp = false

    @Flag(help: "Print JSON.")
    var json = false

    static let promptText = """
        The history of the printing press begins in the fifteenth century, when Johannes Gutenberg combined movable \
        metal type, oil-based ink and a wooden press adapted from wine making. Within fifty years, printers in more \
        than two hundred European cities had produced millions of books, and the spread of cheap texts changed \
        science, religion and politics.
        """

    func validate() throws {
        guard promptTokens >= 1, tokens >= 2, runs >= 1 else {
            throw ValidationError("--prompt-tokens ≥ 1, --tokens ≥ 2 and --runs ≥ 1 are required")
        }
        guard runs <= 1000 else { throw ValidationError("--runs must be ≤ 1000, got \(runs)") }
        // Each is checked against the context alone first, so the sums below cannot overflow.
        for (option, value) in [("--prompt-tokens", promptTokens), ("--tokens", tokens), ("--cache-quality", cacheQuality)]
        where value > modelOptions.context {
            throw ValidationError("\(option) \(value) exceeds --context \(modelOptions.context)")
        }
        guard cacheQuality >= 0, promptTokens + cacheQuality <= modelOptions.context else {
            throw ValidationError("--cache-quality must be ≥ 0 and fit the context with the prompt, got \(cacheQuality)")
        }
        guard promptTokens + tokens <= modelOptions.context else {
            throw ValidationError("--prompt-tokens + --tokens exceed --context \(modelOptions.context)")
        }
    }

    func run() throws {
        let model = try modelOptions.load()
        let tokenizer = try Tokenizer(gguf: model.file)
        let text = tokenizer.encode(Self.promptText)
        let prompt = (0..<promptTokens).map { text[$0 % text.count] }
        let pool = WorkerPool(threads: modelOptions.threads)
        // First, while the process holds only the model: the peak with every position of the context filled.
        var fullContextPeak: Int? = nil
        if fillContext {
            var session = modelOptions.session(model, pool: pool)
            _ = try session.prefill((0..<modelOptions.context).map { text[$0 % text.count] })
            fullContextPeak = ProcessMemory.peakResidentBytes()
        }
        var results: [GenerationResult] = []
        for run in 0...runs {
            var session = modelOptions.session(model, pool: pool)
            var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            let r = try session.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler)
            if run > 0 { results.append(r) }
        }
        // Heap bytes in use before and after `tokens` warm decode + sample steps (the token loop must not allocate).
        var heapGrowth: Int? = nil
        do {
            var session = modelOptions.session(model, pool: pool)
            var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            var token = sampler.sample(try session.prefill(prompt))
            for _ in 0..<4 { token = sampler.sample(try session.decode(token)) }
            let before = ProcessMemory.heapInUse()
            for _ in 0..<(tokens - 5) { token = sampler.sample(try session.decode(token)) }
            if let before, let after = ProcessMemory.heapInUse() { heapGrowth = after - before }
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        var report: [String: Any] = [
            "model": modelOptions.model,
            "kernels": KernelSet.active.rawValue,
            "cpu_features": CPUFeatures.description,
            "threads": modelOptions.threads,
            "context": modelOptions.context,
            "prompt_tokens": promptTokens,
            "generated_tokens": results[0].tokens.count,
            "runs": runs,
            "decode_tokens_per_second": median(results.map(\.decodeTokensPerSecond)),
            "prefill_tokens_per_second": median(results.map(\.prefillTokensPerSecond)),
            "decode_ms_per_token": 1000 / median(results.map(\.decodeTokensPerSecond)),
            "decode_fastest_step_ms": 1000 * (results.map(\.fastestDecodeStepSeconds).min() ?? 0),
            "decode_cpu_ms_per_token": 1000 * median(results.map { $0.decodeCPUSeconds / Double(max($0.decodeSteps, 1)) }),
            "model_file_bytes": model.file.fileSize,
            "kv_cache": modelOptions.cacheFormat.description,
            "kv_cache_bytes_full_context": model.configuration.layerCount * model.configuration.kvHeadCount
                * modelOptions.cacheFormat.bytes(positions: modelOptions.context, headDim: model.configuration.headDim),
        ]
        if let heapGrowth {
            report["decode_heap_growth_bytes"] = heapGrowth
            report["decode_heap_steps"] = tokens - 5
        }
        if let fullContextPeak {
            report["resident_memory_bytes_full_context"] = fullContextPeak
            report["resident_memory_ratio_full_context"] = Double(fullContextPeak) / Double(model.file.fileSize)
        } else if let hwm = ProcessMemory.peakResidentBytes() {
            report["resident_memory_bytes"] = hwm
        }
        if cacheQuality > 0 {
            let q = try KVCacheQuality.measure(
                model: model, format: modelOptions.cacheFormat, prompt: prompt, length: cacheQuality,
                contextLength: modelOptions.context, pool: pool)
            report["cache_quality"] = [
                "format": q.format.description, "reference": q.reference.description, "positions": q.positions,
                "mean_kl": q.meanKL, "p99_kl": q.p99KL, "max_kl": q.maxKL, "top1_agreement": q.top1Agreement,
                "max_top5_logit_difference": q.maxTop5LogitDifference, "perplexity": q.perplexity,
                "reference_perplexity": q.referencePerplexity,
            ] as [String: Any]
            if !noLlamacpp {
                switch LlamaCppReference.cacheQuality(model: modelOptions.model, threads: modelOptions.threads,
                                                      prompt: prompt, tokens: q.tokens, context: modelOptions.context) {
                case .success(let rows):
                    report["llamacpp_cache_quality"] = rows
                case .failure(let why):
                    report["llamacpp_cache_quality_unavailable"] = why.message
                }
            }
        }
        if !noLlamacpp {
            switch LlamaCppReference.run(model: modelOptions.model, threads: modelOptions.threads, prompt: prompt,
                                         tokens: tokens, runs: runs, context: modelOptions.context) {
            case .success(let l):
                report["llamacpp_decode_tokens_per_second"] = l.decode
                report["llamacpp_prefill_tokens_per_second"] = l.prefill
                report["ratio_vs_llamacpp"] = (report["decode_tokens_per_second"] as! Double) / l.decode
                report["prefill_ratio_vs_llamacpp"] = (report["prefill_tokens_per_second"] as! Double) / l.prefill
                let ours = results[0].tokens.map(Int.init)
                report["llamacpp_same_tokens"] = l.tokens == ours
                report["llamacpp_matching_prefix_tokens"] = zip(l.tokens, ours).prefix { $0 == $1 }.count
            case .failure(let why):
                report["llamacpp_unavailable"] = why.message
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in report.keys.sorted() { print("\(key): \(report[key]!)") }
        }
    }
}
