import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayEngine
import HeadwayGGUF
import HeadwayRuntime

/// `headway bench cluster`: the runtime against the single-process engine on the same prompt, runs interleaved.
struct BenchCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Decode speed over workers against one process (same model, prompt and tokens, interleaved runs), and migration pauses.",
        discussion: """
            Placements measured: the planner's; `layers` (consecutive layers on each worker in turn); `spread` \
            (every layer's K/V groups over the workers, projection and FFN on the first worker), with the attention \
            fan's activations in Q8 (the default) and in F32; `one-worker` (everything on the first worker). Then a migration run: a prompt \
            that fills the caches to --migration-context positions, with an attention block moved every \
            --migration-every tokens; it reports each move's pause (the final copy and the switch).

            The outside reference, in the same runs (interleaved): llama.cpp's RPC backend, as many `rpc-server`s \
            as workers on loopback with --worker-threads threads each and the layers split over them by llama.cpp \
            (`llama-bench -rpc … -ngl 99`, decoding --tokens after --prompt-tokens positions, F16 K/V cache), and \
            llama-bench in one process with --threads. Binaries: DIR/BUILD/bin/{rpc-server,llama-bench} from \
            scripts/build-llamacpp.sh; skipped, saying so, when they are missing.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup(title: "Running over workers") var clusterOptions: ClusterOptions

    @Option(help: "Prompt length in tokens.")
    var promptTokens: Int = 32

    @Option(help: "Tokens generated per run (greedy, no stop).")
    var tokens: Int = 128

    @Option(help: "Runs of each configuration (interleaved); medians are reported.")
    var runs: Int = 3

    @Option(help: ArgumentHelp("Positions in the caches during the migration run (0: skip it).", valueName: "positions"))
    var migrationContext: Int = 1950

    @Option(help: ArgumentHelp("Move a block every this many tokens in the migration run.", valueName: "tokens"))
    var migrationEvery: Int = 4

    @Option(help: ArgumentHelp("Directory of the llama.cpp builds (scripts/build-llamacpp.sh).", valueName: "dir"))
    var llamacppDir: String = ".llamacpp"

    @Option(help: ArgumentHelp("llama.cpp build to compare with: native (every ISA extension of this CPU) or avx2.", valueName: "build"))
    var llamacppBuild: String = "native"

    @Flag(help: "Do not run llama.cpp (RPC and one process) for comparison.")
    var noLlamacpp = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard promptTokens >= 1, tokens >= 2, runs >= 1 else { throw ValidationError("--prompt-tokens ≥ 1, --tokens ≥ 2, --runs ≥ 1") }
        guard promptTokens + tokens <= modelOptions.context else { throw ValidationError("--prompt-tokens + --tokens exceed --context \(modelOptions.context)") }
        guard migrationContext >= 0, migrationContext + 64 <= modelOptions.context else {
            throw ValidationError("--migration-context + 64 tokens must fit --context \(modelOptions.context), got \(migrationContext)")
        }
        guard migrationEvery >= 1 else { throw ValidationError("--migration-every must be ≥ 1") }
        guard clusterOptions.distributed else { throw ValidationError("give --local-workers N or --workers …") }
    }

    struct Config: Encodable {
        var name: String
        var tokens_per_second: [Double]
        var median_tokens_per_second: Double
        var ratio_to_single_process: Double
        var round_trips_per_token: Int
        var predicted_ms_per_token: Double
        var measured_ms_per_token: Double
        /// Median tokens/s over llama.cpp RPC's median on the same workers (nil: llama.cpp not run).
        var ratio_to_llamacpp_rpc: Double?
    }

    /// llama.cpp on the same machine, model, prompt length and token count, runs interleaved with ours.
    struct LlamaCppNumbers: Encodable {
        var build: String
        var version: String
        var rpc_servers: Int
        var rpc_server_threads: Int
        var tokens_per_second: Double
        var runs: [Double]
        var rpc_tokens_per_second: Double
        var rpc_runs: [Double]
        /// llama.cpp RPC over llama.cpp in one process.
        var rpc_ratio: Double
    }

    struct Output: Encodable {
        var model: String
        var prompt_tokens: Int
        var tokens: Int
        var runs: Int
        var threads: Int
        var worker_threads: Int
        var workers: [String]
        var kv_cache: String
        var single_process_tokens_per_second: Double
        var single_process_runs: [Double]
        /// The planner's placement.
        var cluster_tokens_per_second: Double
        var ratio: Double
        var planner: String
        var planned_placement: [String: [String]]
        var configurations: [Config]
        var predicted_vs_measured_ms_per_token: Double
        var migration_context: Int
        var migrations: Int
        var migration_pause_ms: [Double]
        var migration_pause_ms_p50: Double
        var migration_pause_ms_p95: Double
        var migration_pause_ms_max: Double
        var migration_bytes_mean: Double
        var migration_tokens_identical: Bool
        var llamacpp: LlamaCppNumbers?
        /// Why llama.cpp was not measured (nil when it was).
        var llamacpp_skipped: String?
        /// The planner's placement over llama.cpp RPC on the same workers.
        var cluster_vs_llamacpp_rpc: Double?
    }

    func run() throws {
        let model = try modelOptions.load()
        let tokenizer = try Tokenizer(gguf: model.file)
        let text = tokenizer.encode(BenchEngine.promptText)
        let prompt = (0..<promptTokens).map { text[$0 % text.count] }
        let workers = try WorkerCluster(clusterOptions, model: modelOptions)
        defer { workers.shutdown() }
        let local = try DeviceExecutor(model: model, name: "coordinator", threads: modelOptions.threads, maxContext: modelOptions.context)
        let layout = BlockLayout(shape: model.shape)
        var options = clusterOptions.coordinatorOptions(modelOptions)
        options.log = { _ in }
        let n = workers.remotes.count
        func coordinator(_ placement: Placement?, forceEvery: Int = 0, quantized: Bool = true) throws -> Coordinator {
            var o = options
            o.quantizedActivations = quantized
            o.fixedPlacement = placement
            o.forceMigrationEvery = forceEvery
            o.replanEvery = placement == nil ? clusterOptions.replanEvery : 0
            return try Coordinator(model: model, local: local, remotes: workers.remotes, options: o)
        }
        let planned = try coordinator(nil)
        let configs: [(String, Coordinator)] = [
            ("planner:\(clusterOptions.planner)", planned),
            ("layers", try coordinator(ClusterOptions.placement(.layers, layout: layout, workers: n))),
            ("spread", try coordinator(ClusterOptions.placement(.spread, layout: layout, workers: n))),
            ("spread, F32 activations", try coordinator(ClusterOptions.placement(.spread, layout: layout, workers: n), quantized: false)),
            ("one-worker", try coordinator(ClusterOptions.placement(.oneWorker, layout: layout, workers: n))),
        ]
        var llama: (bench: LlamaBench, servers: LlamaCppRPCServers)?
        var skipped: String? = noLlamacpp ? "--no-llamacpp" : nil
        if !noLlamacpp {
            let bin = "\(llamacppDir)/\(llamacppBuild)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/llama-bench"), FileManager.default.isExecutableFile(atPath: "\(bin)/rpc-server") {
                CLI.writeStderr("headway: starting \(n) llama.cpp rpc-servers (\(bin)/rpc-server, \(clusterOptions.workerThreads) threads each)\n")
                llama = (LlamaBench(binary: "\(bin)/llama-bench", model: modelOptions.model, threads: modelOptions.threads),
                         try LlamaCppRPCServers(binary: "\(bin)/rpc-server", count: n, threads: clusterOptions.workerThreads))
            } else {
                skipped = "\(bin)/llama-bench or rpc-server not found (scripts/build-llamacpp.sh \(llamacppBuild))"
                CLI.writeStderr("headway: llama.cpp not measured: \(skipped!)\n")
            }
        }
        defer { llama?.servers.shutdown() }
        var llamaSingle: [Double] = [], llamaRPC: [Double] = []
        let pool = WorkerPool(threads: modelOptions.threads)
        var single: [Double] = []
        var measured: [[Double]] = Array(repeating: [], count: configs.count)
        var reports: [RunReport?] = Array(repeating: nil, count: configs.count)
        for r in 0..<runs {
            CLI.writeStderr("headway: bench cluster run \(r + 1) of \(runs)\n")
            var session = modelOptions.session(model, pool: pool)
            var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            let s = try session.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler)
            single.append(s.decodeTokensPerSecond)
            for (i, (_, c)) in configs.enumerated() {
                var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
                let report = try c.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler)
                guard report.tokens == s.tokens else {
                    throw CLIError(description: "configuration \(configs[i].0) generated other tokens than one process: \(report.tokens.prefix(8))… vs \(s.tokens.prefix(8))…")
                }
                measured[i].append(report.decode_tokens_per_second)
                reports[i] = report
            }
            if let llama {
                llamaRPC.append(try llama.bench.tokensPerSecond(prompt: 0, generate: tokens, depth: promptTokens, rpc: llama.servers.addresses))
                llamaSingle.append(try llama.bench.tokensPerSecond(prompt: 0, generate: tokens, depth: promptTokens))
            }
        }
        let singleMedian = median(single)
        let rpcMedian: Double? = llama == nil ? nil : median(llamaRPC)
        let rows = configs.indices.map { i -> Config in
            let rep = reports[i]!
            let e = rep.epochs[0]
            return Config(name: configs[i].0, tokens_per_second: measured[i], median_tokens_per_second: median(measured[i]),
                          ratio_to_single_process: median(measured[i]) / singleMedian, round_trips_per_token: e.round_trips_per_token,
                          predicted_ms_per_token: e.predicted_ms_per_token, measured_ms_per_token: e.measured_ms_per_token,
                          ratio_to_llamacpp_rpc: rpcMedian.map { median(measured[i]) / $0 })
        }
        // Migration run: caches filled to `migrationContext` positions, a block moved every `migrationEvery` tokens.
        var pauses: [Double] = []
        var moved: [RunReport.Migration] = []
        var identical = true
        if migrationContext > 0 {
            CLI.writeStderr("headway: migration run, \(migrationContext)-position caches\n")
            let longPrompt = (0..<migrationContext).map { text[$0 % text.count] }
            let steps = 64
            var session = modelOptions.session(model, pool: pool)
            var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            let expected = try session.generate(prompt: longPrompt, maxTokens: steps, sampler: &sampler).tokens
            let c = try coordinator(ClusterOptions.placement(.layers, layout: layout, workers: n), forceEvery: migrationEvery)
            sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
            let report = try c.generate(prompt: longPrompt, maxTokens: steps, sampler: &sampler)
            identical = report.tokens == expected
            moved = report.migrations
            pauses = moved.map(\.pause_ms)
        }
        let plannedReport = reports[0]!
        let out = Output(
            model: modelOptions.model, prompt_tokens: promptTokens, tokens: tokens, runs: runs, threads: modelOptions.threads,
            worker_threads: clusterOptions.workerThreads, workers: planned.deviceNames, kv_cache: modelOptions.cacheFormat.description,
            single_process_tokens_per_second: singleMedian, single_process_runs: single,
            cluster_tokens_per_second: rows[0].median_tokens_per_second, ratio: rows[0].ratio_to_single_process,
            planner: clusterOptions.planner, planned_placement: plannedReport.epochs[0].placement, configurations: rows,
            predicted_vs_measured_ms_per_token: rows[0].predicted_ms_per_token / rows[0].measured_ms_per_token,
            migration_context: migrationContext, migrations: moved.count, migration_pause_ms: pauses,
            migration_pause_ms_p50: percentile(pauses, 0.5), migration_pause_ms_p95: percentile(pauses, 0.95),
            migration_pause_ms_max: pauses.max() ?? 0,
            migration_bytes_mean: moved.isEmpty ? 0 : Double(moved.reduce(0) { $0 + $1.bytes }) / Double(moved.count),
            migration_tokens_identical: identical,
            llamacpp: llama.map { _ in
                LlamaCppNumbers(build: llamacppBuild, version: LlamaBench.version(dir: llamacppDir), rpc_servers: n, rpc_server_threads: clusterOptions.workerThreads,
                                tokens_per_second: median(llamaSingle), runs: llamaSingle, rpc_tokens_per_second: median(llamaRPC),
                                rpc_runs: llamaRPC, rpc_ratio: median(llamaRPC) / median(llamaSingle))
            },
            llamacpp_skipped: skipped, cluster_vs_llamacpp_rpc: rows[0].ratio_to_llamacpp_rpc)
        if json {
            CLI.writeStdout(try CLI.encode(out))
        } else {
            var s = String(format: "one process: %.1f tok/s (%d threads)\n", singleMedian, modelOptions.threads)
            for row in rows {
                s += row.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                s += String(format: "%6.1f tok/s  %.2fx  %2d round trips/token  predicted %.2f ms, measured %.2f ms\n",
                            row.median_tokens_per_second, row.ratio_to_single_process, row.round_trips_per_token,
                            row.predicted_ms_per_token, row.measured_ms_per_token)
                if let r = row.ratio_to_llamacpp_rpc { s += String(format: "%@%.2fx llama.cpp RPC\n", String(repeating: " ", count: 24), r) }
            }
            if let l = out.llamacpp {
                s += String(format: "llama.cpp (%@): one process %.1f tok/s; RPC over %d rpc-servers %.1f tok/s (%.2fx its one process)\n",
                            l.build, l.tokens_per_second, l.rpc_servers, l.rpc_tokens_per_second, l.rpc_ratio)
            } else if let skipped {
                s += "llama.cpp not measured: \(skipped)\n"
            }
            s += String(format: "migrations with %d-position caches: %d, pause p50 %.2f ms, p95 %.2f ms, max %.2f ms; tokens identical: %@\n",
                        migrationContext, moved.count, out.migration_pause_ms_p50, out.migration_pause_ms_p95, out.migration_pause_ms_max,
                        identical ? "yes" : "NO")
            CLI.writeStdout(s)
        }
        if !identical { throw CLIError(description: "the migration run generated other tokens than one process") }
    }

    func median(_ v: [Double]) -> Double { percentile(v, 0.5) }

    func percentile(_ v: [Double], _ q: Double) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
    }
}
