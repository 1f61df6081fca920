import ArgumentParser
import Dispatch
import Foundation
import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over an OpenAI-compatible HTTP API, with Prometheus metrics and a live dashboard.",
        discussion: """
            Endpoints: POST /v1/chat/completions, POST /v1/completions (streamed with server-sent events or not), \
            GET /v1/models, GET /health, GET /metrics, GET /v1/status, and GET / (the dashboard).
            Requests share the engine interleaved one token at a time (up to --parallel at once; the rest wait).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Running over workers") var clusterOptions: ClusterOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port: Int = 8080

    @Option(help: "Sequences generated at once, interleaved per token; more requests wait in a queue.")
    var parallel: Int = 16

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard parallel >= 1 && parallel <= 256 else { throw ValidationError("--parallel must be in 1...256, got \(parallel)") }
    }

    /// The backend the server talks to. The distributed runtime plugs in here (options for workers, and a backend
    /// over the coordinator); the server itself does not change.
    func makeBackend() throws -> any InferenceBackend {
        let model = try modelOptions.load()  // validates the file and the cache format with the CLI's messages
        if clusterOptions.distributed {
            let workers = try WorkerCluster(clusterOptions, model: modelOptions, exitOnSignal: false)
            let local = try DeviceExecutor(model: model, name: "coordinator", threads: modelOptions.threads, maxContext: modelOptions.context)
            var options = clusterOptions.coordinatorOptions(modelOptions)
            options.fixedPlacement = ClusterOptions.placement(
                clusterOptions.placement, layout: BlockLayout(shape: model.shape), workers: workers.remotes.count)
            let coordinator = try Coordinator(model: model, local: local, remotes: workers.remotes, options: options)
            return try RuntimeBackend(model: model, modelID: URL(fileURLWithPath: modelOptions.model).deletingPathExtension().lastPathComponent,
                                      coordinator: coordinator, workers: workers, contextLength: modelOptions.context)
        }
        return try LocalBackend(
            modelPath: modelOptions.model, threads: modelOptions.threads, contextLength: modelOptions.context,
            cacheFormat: modelOptions.cacheFormat, maxActiveSequences: parallel)
    }

    func run() throws {
        let backend = try makeBackend()
        let server = HTTPServer(backend: backend)
        let (host, port, threads, context) = (host, port, modelOptions.threads, modelOptions.context)
        let app = server.application(host: host, port: port) { bound in
            CLI.writeStderr("headway serve: \(backend.modelID) on http://\(host):\(bound)/ (\(threads) threads, context \(context) tokens)\n")
        }
        // ArgumentParser runs this synchronously; the server runs on Swift concurrency's threads until SIGINT/SIGTERM.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await app.runService() } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
    }

    private final class FailureBox: @unchecked Sendable {
        var error: (any Error)?
    }
}
