import ArgumentParser
import Foundation
import HeadwayEngine

/// `bench llamacpp`: the engine against llama.cpp's own C++ benchmark (`llama-bench`) on the same file and thread
/// count, in one run with the two alternating, per kernel set: our AVX2 kernels against llama.cpp built for AVX2
/// (no AVX-512), our best kernels against llama.cpp built for this CPU (scripts/build-llamacpp.sh builds both).
struct BenchLlamaCpp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llamacpp",
        abstract: "Compare the engine's decode and prefill speed with llama.cpp's llama-bench, per kernel set.",
        discussion: """
            Tests as llama-bench names them: tgN decodes N tokens one by one from an empty context, ppN processes an \
            N-token prompt in one batch. Each measured run of llama-bench (`-r 1`, after its own warm-up) is followed \
            by one of ours on the same test; the median of --runs is reported. Both use an F16 K/V cache \
            (llama-bench's default) whatever --kv-cache says. A pair's llama.cpp build THEIRS is \
            DIR/THEIRS/bin/llama-bench: native, avx2 and (for --pairs sse4:sse4, CPUs without AVX) sse4 \
            (scripts/build-llamacpp.sh native|avx2|sse4).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Directory of the llama.cpp builds (scripts/build-llamacpp.sh).")
    var llamacppDir: String = ".llamacpp"

    @Option(help: "Tests, comma-separated (tgN: decode N tokens; ppN: prefill an N-token prompt).")
    var tests: String = "tg128,pp32,pp512,pp1800"

    @Option(help: "Measured runs of each side per test; the median is reported.")
    var runs: Int = 5

    @Option(help: "Comparisons, comma-separated: OURS:THEIRS with OURS a kernel set or 'best' and THEIRS a llama.cpp build.")
    var pairs: String = "avx2:avx2,best:native"

    @Option(help: "Tokens per prefill chunk on our side (llama-bench keeps its defaults, -b 2048 -ub 512).")
    var batch: Int = LlamaSession.defaultMaxBatch

    @Option(help: "llama-bench's flash attention setting (-fa): on, off or auto (its default).")
    var flashAttn: String = "auto"

    @Flag(help: "Print JSON.")
    var json = false

    struct Test {
        var name: String
        var prompt: Int
        var generate: Int
    }

    func parsedTests() throws -> [Test] {
        try tests.split(separator: ",").map { item throws -> Test in
            let s = String(item)
            if s.hasPrefix("tg"), let n = Int(s.dropFirst(2)), n >= 1 { return Test(name: s, prompt: 0, generate: n) }
            if s.hasPrefix("pp"), let n = Int(s.dropFirst(2)), n >= 1 { return Test(name: s, prompt: n, generate: 0) }
            throw ValidationError("--tests: '\(s)' is not tgN or ppN")
        }
    }

    func parsedPairs() throws -> [(ours: KernelSet, theirs: String)] {
        try pairs.split(separator: ",").map { item throws -> (ours: KernelSet, theirs: String) in
            let parts = item.split(separator: ":").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--pairs: '\(item)' is not OURS:THEIRS") }
            if parts[0] == "best" { return (KernelSet.best, parts[1]) }
            guard let ours = KernelSet(rawValue: parts[0]) else {
                throw ValidationError("--pairs: '\(parts[0])' is not best or one of \(KernelSet.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return (ours, parts[1])
        }
    }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be ≥ 1, got \(runs)") }
        guard batch >= 1 else { throw ValidationError("--batch must be ≥ 1, got \(batch)") }
        guard ["on", "off", "auto"].contains(flashAttn) else {
            throw ValidationError("--flash-attn must be on, off or auto, got '\(flashAttn)'")
        }
        let t = try parsedTests()
        for test in t where test.prompt + test.generate > modelOptions.context {
            throw ValidationError("--tests: \(test.name) exceeds --context \(modelOptions.context)")
        }
        _ = try parsedPairs()
    }

    /// One llama-bench run of `test`: tokens per second.
    func llamaBench(_ binary: String, _ test: Test) throws -> Double {
        try LlamaBench(binary: binary, model: modelOptions.model, threads: modelOptions.threads, flashAttention: flashAttn)
            .tokensPerSecond(prompt: test.prompt, generate: test.generate)
    }

    /// One run of ours: tokens per second.
    func ours(_ model: LlamaModel, pool: WorkerPool, _ test: Test, tokens: [Int32]) throws -> Double {
        var session = LlamaSession(model: model, contextLength: modelOptions.context, pool: pool, maxBatch: batch,
                                   cacheFormat: .f16)
        let clock = ContinuousClock()
        if test.prompt > 0 {
            let prompt = Array(tokens.prefix(test.prompt))
            let start = clock.now
            _ = try session.prefill(prompt)
            return Double(test.prompt) / (clock.now - start).seconds
        }
        let start = clock.now
        for i in 0..<test.generate { _ = try session.decode(tokens[i % tokens.count]) }
        return Double(test.generate) / (clock.now - start).seconds
    }

    func run() throws {
        let model = try modelOptions.load()
        let tokenizer = try Tokenizer(gguf: model.file)
        let text = tokenizer.encode(BenchEngine.promptText)
        let longest = try parsedTests().map { max($0.prompt, $0.generate) }.max() ?? 1
        let tokens = (0..<longest).map { text[$0 % text.count] }
        let pool = WorkerPool(threads: modelOptions.threads)
        let initial = KernelSet.active
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        var rows: [[String: Any]] = []
        for pair in try parsedPairs() {
            let binary = "\(llamacppDir)/\(pair.theirs)/bin/llama-bench"
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw CLIError(description: "\(binary) not found: build it with scripts/build-llamacpp.sh \(pair.theirs)")
            }
            do { try KernelSet.use(pair.ours) } catch { throw CLIError(description: error.message) }
            for test in try parsedTests() {
                _ = try ours(model, pool: pool, test, tokens: tokens)  // warm-up (llama-bench warms up on its own)
                var theirs: [Double] = [], mine: [Double] = []
                for _ in 0..<runs {
                    theirs.append(try llamaBench(binary, test))
                    mine.append(try ours(model, pool: pool, test, tokens: tokens))
                }
                let row: [String: Any] = [
                    "test": test.name, "kernels": pair.ours.rawValue, "llamacpp_build": pair.theirs,
                    "tokens_per_second": median(mine), "llamacpp_tokens_per_second": median(theirs),
                    "ratio": median(mine) / median(theirs), "runs": runs,
                    "samples": mine, "llamacpp_samples": theirs,
                ]
                rows.append(row)
                if !json {
                    print(String(format: "%-6@ ours %-12@ %8.1f tok/s   llama.cpp %-7@ %8.1f tok/s   ratio %.2fx",
                                 test.name as NSString, pair.ours.rawValue as NSString, median(mine),
                                 pair.theirs as NSString, median(theirs), median(mine) / median(theirs)))
                }
            }
        }
        try? KernelSet.use(initial)
        if json {
            let report: [String: Any] = [
                "model": modelOptions.model, "threads": modelOptions.threads, "kv_cache": "f16", "batch": batch,
                "llamacpp_flash_attn": flashAttn,
                "cpu_features": CPUFeatures.description, "llamacpp_version": LlamaBench.version(dir: llamacppDir), "results": rows,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
