import Foundation

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
        let args: [String: Any] = [
            "model": model, "threads": threads, "prompt": prompt.map(Int.init), "tokens": tokens, "runs": runs,
            "context": context,
        ]
        return runPython(script, args).flatMap { object in
            guard let prefill = object["prefill"] as? Double, let decode = object["decode"] as? Double,
                  let toks = object["tokens"] as? [Int]
            else { return .failure(Unavailable(message: "unexpected output: \(object)")) }
            return .success(Numbers(prefill: prefill, decode: decode, tokens: toks))
        }
    }

    /// Runs `script` with `python3` (or $HEADWAY_LLAMACPP_PYTHON) and `args` as JSON in argv[1]; the script prints
    /// one JSON object as its last line (`{"error": …}` when llama-cpp-python is missing).
    static func runPython(_ script: String, _ args: [String: Any]) -> Result<[String: Any], Unavailable> {
        let python = ProcessInfo.processInfo.environment["HEADWAY_LLAMACPP_PYTHON"] ?? "python3"
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
        return .success(object)
    }
}

extension LlamaCppReference {
    /// Feeds `prompt + tokens` to llama.cpp with its default F16 cache (no flash attention: the arithmetic the
    /// engine follows), then with flash attention (same F16 cache) and with Q8_0 keys and values (which need flash
    /// attention in llama.cpp), and compares the next-token distributions at the positions that predict `tokens`, as `KVCacheQuality` does.
    static let cacheQualityScript = """
        import json, sys
        try:
            import numpy as np
            from llama_cpp import Llama
        except Exception as e:
            print(json.dumps({"error": "cannot import llama_cpp: %s" % e})); sys.exit(0)
        args = json.loads(sys.argv[1])
        prompt, toks = args["prompt"], args["tokens"]
        seq = prompt + toks[:-1]
        def logprobs(**kw):
            llm = Llama(model_path=args["model"], n_ctx=args["context"], n_threads=args["threads"], n_batch=512,
                        logits_all=True, verbose=False, **kw)
            llm.eval(seq)
            x = np.array(llm.scores[len(prompt) - 1:len(seq)], dtype=np.float64)
            del llm
            x -= x.max(axis=1, keepdims=True)
            return x - np.log(np.exp(x).sum(axis=1, keepdims=True))
        ref = logprobs(flash_attn=False)
        idx = np.arange(len(toks))
        out = []
        for name, kw in [("f16+flash_attn", dict(flash_attn=True)),
                         ("q8_0", dict(flash_attn=True, type_k=8, type_v=8))]:
            lp = logprobs(**kw)
            kl = np.maximum((np.exp(ref) * (ref - lp)).sum(axis=1), 0)
            out.append({"format": name, "reference": "f16", "positions": len(toks), "mean_kl": float(kl.mean()), "p99_kl": float(np.quantile(kl, 0.99)),
                        "max_kl": float(kl.max()), "top1_agreement": float((ref.argmax(1) == lp.argmax(1)).mean()),
                        "perplexity": float(np.exp(-lp[idx, toks].mean())),
                        "reference_perplexity": float(np.exp(-ref[idx, toks].mean()))})
        print(json.dumps({"formats": out}))
        """

    /// One row per llama.cpp cache setup, with the keys of `bench engine`'s `cache_quality` (less the logit
    /// difference), ready for the report.
    static func cacheQuality(model: String, threads: Int, prompt: [Int32], tokens: [Int32], context: Int)
        -> Result<[[String: Any]], Unavailable>
    {
        let args: [String: Any] = [
            "model": model, "threads": threads, "prompt": prompt.map(Int.init), "tokens": tokens.map(Int.init),
            "context": context,
        ]
        let numbers = ["mean_kl", "p99_kl", "max_kl", "top1_agreement", "perplexity", "reference_perplexity"]
        return runPython(cacheQualityScript, args).flatMap { object in
            guard let rows = object["formats"] as? [[String: Any]],
                  rows.allSatisfy({ row in row["format"] is String && numbers.allSatisfy { row[$0] is Double } })
            else { return .failure(Unavailable(message: "unexpected output: \(object)")) }
            return .success(rows)
        }
    }
}
