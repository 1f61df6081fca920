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

    @Flag(help: "Also fill the whole context and report the resident memory then.")
    var fillContext = false

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
        var results: [GenerationResult] = []
        for run in 0...runs {
            var session = LlamaSession(model: model, contextLength: modelOptions.context, pool: pool)
            var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            let r = try session.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler)
            if run > 0 { results.append(r) }
        }
        // Heap bytes in use before and after `tokens` warm decode + sample steps (the token loop must not allocate).
        var heapGrowth: Int? = nil
        do {
            var session = LlamaSession(model: model, contextLength: modelOptions.context, pool: pool)
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
        ]
        if let heapGrowth {
            report["decode_heap_growth_bytes"] = heapGrowth
            report["decode_heap_steps"] = tokens - 5
        }
        if let hwm = ProcessMemory.peakResidentBytes() { report["resident_memory_bytes"] = hwm }
        if fillContext {
            var session = LlamaSession(model: model, contextLength: modelOptions.context, pool: pool)
            let filler = (0..<modelOptions.context).map { text[$0 % text.count] }
            _ = try session.prefill(filler)
            if let hwm = ProcessMemory.peakResidentBytes() { report["resident_memory_bytes_full_context"] = hwm }
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

/// Resident-memory and heap figures of this process (Linux).
enum ProcessMemory {
    /// `VmHWM` (peak resident set) from /proc/self/status, in bytes.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// `mallinfo2().uordblks`, looked up with `dlsym` (`<malloc.h>` is not in Swift's Glibc module). On x86-64
    /// System V a struct of more than 16 bytes is returned through a hidden pointer in the first argument register,
    /// so calling it as `void f(struct mallinfo2 *)` is ABI-equivalent.
    static func heapInUse() -> Int? {
        #if os(Linux) && arch(x86_64)
        typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
        let fields = UnsafeMutablePointer<Int>.allocate(capacity: 10)
        defer { fields.deallocate() }
        unsafeBitCast(symbol, to: MallInfo2.self)(UnsafeMutableRawPointer(fields))
        return fields[7]
        #else
        return nil
        #endif
    }
}

/// Runs llama.cpp (through llama-cpp-python) on the same model, token ids and thread count.
enum LlamaCppReference {
    struct Numbers {
        var prefill: Double
        var decode: Double
        var tokens: [Int]
    }
    struct Unavailable: Error { var message: String }

    static let script = """
        import json, sys, time
        try:
            import numpy as np
            import llama_cpp
            from llama_cpp import Llama
        except Exception as e:
            print(json.dumps({"error": "cannot import llama_cpp: %s" % e})); sys.exit(0)
        args = json.loads(sys.argv[1])
        llm = Llama(model_path=args["model"], n_ctx=args["context"], n_threads=args["threads"],
                    n_threads_batch=args["threads"], n_batch=512, verbose=False)
        prompt, n = args["prompt"], args["tokens"]
        vocab = llm.n_vocab()
        def argmax_last():
            # The logits of the last evaluated token (Llama.scores is only filled with logits_all=True).
            return int(np.argmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(vocab,))))
        runs = []
        for run in range(args["runs"] + 1):
            llm.reset()
            t0 = time.perf_counter()
            llm.eval(prompt)
            tok = argmax_last()
            t1 = time.perf_counter()
            out = [tok]
            for _ in range(n - 1):
                llm.eval([tok])
                tok = argmax_last()
                out.append(tok)
            t2 = time.perf_counter()
            if run > 0:
                runs.append((len(prompt) / (t1 - t0), (n - 1) / (t2 - t1), out))
        runs.sort(key=lambda r: r[1])
        mid = runs[len(runs) // 2]
        prefill = sorted(r[0] for r in runs)[len(runs) // 2]
        print(json.dumps({"prefill": prefill, "decode": mid[1], "tokens": mid[2]}))
        """

    static func run(model: String, threads: Int, prompt: [Int32], tokens: Int, runs: Int, context: Int)
        -> Result<Numbers, Unavailable>
    {
        let python = ProcessInfo.processInfo.environment["HEADWAY_LLAMACPP_PYTHON"] ?? "python3"
        let args: [String: Any] = [
            "model": model, "threads": threads, "prompt": prompt.map(Int.init), "tokens": tokens, "runs": runs,
            "context": context,
        ]
        guard let argData = try? JSONSerialization.data(withJSONObject: args) else {
            return .failure(Unavailable(message: "cannot encode arguments"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // `timeout` bounds a llama.cpp run that stalls (its spinning OpenMP threads can crawl on a busy machine).
        process.arguments = ["timeout", "600", python, "-c", script, String(decoding: argData, as: UTF8.self)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(Unavailable(message: "cannot run \(python): \(error)"))
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            return .failure(Unavailable(message: "\(python) exited with status \(process.terminationStatus) and no result"))
        }
        if let error = object["error"] as? String { return .failure(Unavailable(message: error)) }
        guard let prefill = object["prefill"] as? Double, let decode = object["decode"] as? Double,
              let toks = object["tokens"] as? [Int]
        else { return .failure(Unavailable(message: "unexpected output: \(line)")) }
        return .success(Numbers(prefill: prefill, decode: decode, tokens: toks))
    }
}
