import ArgumentParser
import Foundation
import HeadwayEngine
import HeadwayRuntime
import HeadwayRuntimeNIO
import NIOPosix

/// `headway worker`: serves blocks to a coordinator.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve model blocks to a coordinator over TCP (SwiftNIO). Prints 'listening on HOST:PORT' when ready.")

    @Option(help: ArgumentHelp("Address to listen on (port 0: any free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:7450"

    @Option(help: "GGUF model file (the same file as the coordinator's; checked by fingerprint).")
    var model: String = ModelOptions.defaultModel

    @Option(help: "Threads for this worker's matrix products.")
    var threads: Int = 1

    @Option(help: "Name shown by the coordinator (default: worker@HOST:PORT).")
    var name: String?

    @Option(help: ArgumentHelp("Memory this worker offers for K/V caches, in MB (default: what the OS reports available).", valueName: "MB"))
    var memory: Double?

    @Option(help: ArgumentHelp("Emulate a slower device: compute takes 1/SHARE of its time (0 < SHARE ≤ 1).", valueName: "share"))
    var cpuShare: Double = 1

    @Option(help: ArgumentHelp("Emulate a slower link in both directions: bandwidth in Mbit/s (0: unshaped).", valueName: "Mbit/s"))
    var linkMbps: Double = 0

    @Option(help: ArgumentHelp("Emulate link delay, one way, in milliseconds.", valueName: "ms"))
    var linkDelayMs: Double = 0

    @Option(help: ArgumentHelp("Follow a link profile file ('MBIT_PER_S DELAY_MS', re-read when it changes) to vary the emulated link during a run.", valueName: "file"))
    var linkProfile: String?

    @Option(help: ArgumentHelp("Longest context a sequence may ask for, in tokens.", valueName: "tokens"))
    var maxContext: Int = 8192

    @Option(help: ArgumentHelp("The cluster key (made by `headway cluster init`): serve only a coordinator that holds it, and encrypt every frame.", valueName: "file"))
    var keyFile: String?

    @Flag(help: "Exit when the parent process exits (used for local workers).")
    var exitWithParent = false

    func validate() throws {
        guard Endpoint(listen) != nil else { throw ValidationError("--listen '\(listen)' is not HOST:PORT") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        guard cpuShare > 0 && cpuShare <= 1 else { throw ValidationError("--cpu-share must be in (0, 1], got \(cpuShare)") }
        guard linkMbps >= 0 && linkMbps.isFinite else { throw ValidationError("--link-mbps must be ≥ 0, got \(linkMbps)") }
        guard linkDelayMs >= 0 && linkDelayMs <= 10_000 else { throw ValidationError("--link-delay-ms must be in 0...10000, got \(linkDelayMs)") }
        guard maxContext >= 1 && maxContext <= 1 << 20 else { throw ValidationError("--max-context must be in 1...1048576, got \(maxContext)") }
        if let memory { guard memory > 0 && memory.isFinite else { throw ValidationError("--memory must be positive MB, got \(memory)") } }
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("model file '\(model)' not found") }
    }

    func run() throws {
        // A worker started by a process that blocks signals (test runners do) inherits the mask: unblock, so that
        // SIGTERM and Ctrl-C stop it.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let endpoint = Endpoint(listen)!
        let loaded: LlamaModel
        do { loaded = try LlamaModel(path: model) } catch { throw ValidationError("\(error)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = try DeviceExecutor(
            model: loaded, name: name ?? "worker@\(listen)", threads: threads, memoryBytes: memory.map { $0 * 1e6 },
            maxContext: maxContext)
        executor.cpuShare = cpuShare
        let shaper = linkMbps > 0 || linkDelayMs > 0 || linkProfile != nil
            ? LinkShaper(bitsPerSecond: linkMbps * 1e6, delay: linkDelayMs / 1e3) : nil
        if let linkProfile { shaper?.follow(file: linkProfile) { CLI.writeStderr("worker: \($0)\n") } }
        let key = try keyFile.map { try ClusterKey(file: $0) }
        if key == nil && !["127.0.0.1", "localhost", "::1"].contains(endpoint.host) {
            CLI.writeStderr("worker: no --key-file: anyone who can reach \(listen) can use this worker\n")
        }
        let server = WorkerServer(executor: executor, group: group, shaper: shaper, key: key) { CLI.writeStderr("worker: \($0)\n") }
        let port = try server.start(host: endpoint.host, port: endpoint.port)
        if name == nil && endpoint.port == 0 { executor.rename("worker@\(endpoint.host):\(port)") }
        CLI.writeStdout("listening on \(endpoint.host):\(port)\n")
        if exitWithParent {
            let parent = getppid()
            Thread.detachNewThread {
                while getppid() == parent { usleep(100_000) }
                Foundation.exit(0)
            }
        }
        server.wait()
    }
}

/// `HOST:PORT`.
struct Endpoint: Hashable {
    var host: String
    var port: Int
    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port >= 0, port < 65536 else { return nil }
        host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.port = port
    }
}
