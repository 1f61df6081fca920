import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayEngine
import HeadwayPlanner
import HeadwayRuntime
import HeadwayRuntimeNIO
import NIOPosix

/// Options of the commands that run a model over workers (`generate`, `bench cluster`).
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run over these workers (each started with `headway worker`).", valueName: "host:port,…"))
    var workers: String?

    @Option(help: ArgumentHelp("Start N worker processes on this machine (loopback TCP) and run over them.", valueName: "N"))
    var localWorkers: Int?

    @Option(help: ArgumentHelp("Give the local workers the devices and links of a scenario file (CPU share from compute, memory, link bandwidth and latency).", valueName: "scenario"))
    var emulate: String?

    @Option(help: ArgumentHelp("The cluster key (made by `headway cluster init`): workers must prove they hold it; every frame is encrypted. Local workers get it too.", valueName: "file"))
    var keyFile: String?

    @Option(help: ArgumentHelp("Threads per local worker.", valueName: "N"))
    var workerThreads: Int = 1

    @Option(help: "Planner that places the blocks (headway, resource-aware, greedy, round-robin, static, edgeshard, galaxy, exact).")
    var planner: String = "headway"

    @Option(help: ArgumentHelp("Re-plan from live measurements every N generated tokens (0: plan once).", valueName: "N"))
    var replanEvery: Int = 0

    @Option(help: ArgumentHelp("Move at least one attention block with its cache every K tokens (tests and demos; 0: off).", valueName: "K"))
    var forceMigrationEvery: Int = 0

    enum PlacementChoice: String, ExpressibleByArgument, CaseIterable {
        case planner, layers, spread
        case oneWorker = "one-worker"
    }

    @Option(help: ArgumentHelp("The first placement: the planner's, or (for tests and comparisons) `layers` (consecutive layers on each worker in turn), `spread` (each layer's K/V groups over the workers, projection and FFN on the first), `one-worker`.", valueName: "choice"))
    var placement: PlacementChoice = .planner

    @Flag(help: "Keep every block off the coordinator's own device (it still runs the embedding and the LM head).")
    var coordinatorHoldsNothing = false

    @Flag(help: "Send every activation in F32 (default: the attention fan's in the receiving product's Q8 form where that is exact).")
    var f32Activations = false

    @Option(help: ArgumentHelp("Seconds to wait for a worker's reply before giving up on it.", valueName: "seconds"))
    var workerTimeout: Double = 30

    var distributed: Bool { workers != nil || localWorkers != nil }

    func validate() throws {
        if workers != nil && localWorkers != nil { throw ValidationError("give --workers or --local-workers, not both") }
        if let n = localWorkers { guard n >= 1 && n <= 16 else { throw ValidationError("--local-workers must be in 1...16, got \(n)") } }
        if let w = workers {
            for part in w.split(separator: ",") where Endpoint(String(part)) == nil {
                throw ValidationError("--workers: '\(part)' is not HOST:PORT")
            }
        }
        if emulate != nil && localWorkers == nil { throw ValidationError("--emulate applies to --local-workers") }
        guard workerThreads >= 1 && workerThreads <= 64 else { throw ValidationError("--worker-threads must be in 1...64, got \(workerThreads)") }
        guard replanEvery >= 0 else { throw ValidationError("--replan-every must be ≥ 0, got \(replanEvery)") }
        guard forceMigrationEvery >= 0 else { throw ValidationError("--force-migration-every must be ≥ 0, got \(forceMigrationEvery)") }
        guard workerTimeout > 0 && workerTimeout <= 3600 else { throw ValidationError("--worker-timeout must be in (0, 3600], got \(workerTimeout)") }
        guard PlannerRegistry.names.contains(planner) else {
            throw ValidationError("--planner '\(planner)' is not one of \(PlannerRegistry.names.joined(separator: ", "))")
        }
    }

    /// The fixed first placement asked for (`nil`: the planner's).
    static func placement(_ choice: PlacementChoice, layout: BlockLayout, workers n: Int) -> Placement? {
        guard n >= 1 else { return nil }
        switch choice {
        case .planner: return nil
        case .oneWorker: return Placement(blockCount: layout.count, allOn: 1)
        case .layers:
            var p = Placement(blockCount: layout.count, allOn: 1)
            for l in 0..<layout.layerCount { for b in layout.indices(ofLayer: l) { p[b] = 1 + l * n / layout.layerCount } }
            return p
        case .spread:
            var p = Placement(blockCount: layout.count, allOn: 1)
            for l in 0..<layout.layerCount {
                for g in 0..<layout.groupsPerLayer { p[layout.attentionIndex(layer: l, group: g)] = 1 + g % n }
            }
            return p
        }
    }

    func coordinatorOptions(_ model: ModelOptions) -> CoordinatorOptions {
        var o = CoordinatorOptions()
        o.planner = planner
        o.replanEvery = replanEvery
        o.forceMigrationEvery = forceMigrationEvery
        o.contextLength = model.context
        o.cacheFormat = model.cacheFormat
        o.timeout = workerTimeout
        o.coordinatorHoldsBlocks = !coordinatorHoldsNothing
        o.quantizedActivations = !f32Activations
        o.log = { CLI.writeStderr("headway: \($0)\n") }
        return o
    }
}

/// The workers a coordinator runs over, and what must be cleaned up afterwards (local worker processes, event loops).
final class WorkerCluster {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var processes: [Process] = []
    var remotes: [RemoteDevice] = []
    nonisolated(unsafe) static var live: [Process] = []

    /// Starts local workers (if asked) and connects to every worker.
    /// - Parameter exitOnSignal: Ctrl-C and SIGTERM stop the local workers and exit at once (commands that run to an
    ///   end); `serve` shuts down gracefully instead, and its workers exit with it (they watch their parent).
    init(_ options: ClusterOptions, model: ModelOptions, exitOnSignal: Bool = true) throws {
        var endpoints: [(Endpoint, String)] = []
        let key = try options.keyFile.map { try ClusterKey(file: $0) }
        if let w = options.workers {
            endpoints = w.split(separator: ",").map { (Endpoint(String($0))!, String($0)) }
        } else if let n = options.localWorkers {
            let profiles = try options.emulate.map { try EmulatedDevices(scenario: $0, workers: n) }
            if exitOnSignal { Self.installSignalHandlers() }
            for i in 0..<n {
                var args = ["worker", "--listen", "127.0.0.1:0", "--model", model.model, "--threads", "\(options.workerThreads)",
                            "--name", profiles?.names[i] ?? "local\(i + 1)", "--max-context", "\(model.context)", "--exit-with-parent"]
                if let p = profiles { args += p.arguments[i] }
                if let f = options.keyFile { args += ["--key-file", f] }
                CLI.writeStderr("headway: starting worker \(i + 1) of \(n)\n")
                let (process, endpoint) = try Self.spawn(args)
                processes.append(process)
                Self.live.append(process)
                endpoints.append((endpoint, profiles?.names[i] ?? "local\(i + 1)"))
            }
        }
        do {
            let group = self.group
            for (e, name) in endpoints {
                @Sendable func connect() throws(RuntimeError) -> RemoteDevice {
                    RemoteDevice(data: try NIOConnection.connect(host: e.host, port: e.port, group: group, name: name, key: key),
                                 bulk: try NIOConnection.connect(host: e.host, port: e.port, group: group, name: "\(name) (bulk)", key: key),
                                 reconnect: options.workers != nil ? connect : nil)
                }
                remotes.append(try connect())
            }
        } catch {
            shutdown()
            throw error
        }
    }

    /// Runs `headway worker …` from this executable and reads the port it listens on.
    static func spawn(_ args: [String]) throws -> (Process, Endpoint) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        var line = Data()
        let handle = out.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "), let e = Endpoint(String(text.dropFirst("listening on ".count))) else {
            p.terminate()
            throw CLIError(description: "a local worker did not start (it said '\(text)'); run `headway worker` by hand to see why")
        }
        return (p, e)
    }

    /// Ctrl-C and SIGTERM stop the local workers too.
    static func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { s in
                for p in WorkerCluster.live where p.isRunning { kill(p.processIdentifier, SIGTERM) }
                _exit(128 + s)
            }
        }
    }

    private var isShutDown = false

    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for r in remotes {
            r.data.close()
            r.bulk.close()
        }
        for p in processes where p.isRunning { p.terminate() }
        // SIGTERM first; a worker still running 2 s later is killed.
        let deadline = Date(timeIntervalSinceNow: 2)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(10_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        Self.live.removeAll { p in processes.contains { $0 === p } }
        processes = []
        try? group.syncShutdownGracefully()
    }

    deinit { shutdown() }
}
