import Foundation
import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayServer

/// `headway serve` over workers: requests go to one coordinator, one at a time (queued in arrival order: the
/// coordinator runs one sequence), on a thread of its own; the dashboard and /metrics see its devices, placement,
/// migrations, per-token latencies and link bytes as they change.
final class RuntimeBackend: InferenceBackend, @unchecked Sendable {
    let modelID: String
    let contextLength: Int
    let tokenizer: Tokenizer
    let chatTemplate: ChatTemplate?
    private let coordinator: Coordinator
    private let workers: WorkerCluster
    private let queue = BlockingQueue<Job>()
    private let lock = NSLock()
    private var snapshot: ClusterStatus
    private var migrations: [ClusterStatus.Migration] = []
    private var latencies: [ClusterStatus.LatencySample] = []
    private var tokens = 0
    /// Migrations of the current request's report already listed.
    private var listed = 0
    private var waiting = 0
    private let started = Date()

    struct Job: @unchecked Sendable {
        var request: GenerationRequest
        var continuation: AsyncThrowingStream<Int32, any Error>.Continuation
        var cancelled: CancelFlag
    }

    final class CancelFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    init(model: LlamaModel, modelID: String, coordinator: Coordinator, workers: WorkerCluster, contextLength: Int) throws {
        self.modelID = modelID
        self.contextLength = contextLength
        tokenizer = try Tokenizer(gguf: model.file)
        chatTemplate = try? ChatTemplate(gguf: model.file)
        self.coordinator = coordinator
        self.workers = workers
        snapshot = ClusterStatus(model: modelID, layers: coordinator.layout.layerCount, groupsPerLayer: coordinator.layout.groupsPerLayer,
                                 mode: "workers", scheduling: "one sequence at a time, in arrival order", devices: [], placement: [])
        refresh(report: nil)
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "headway-coordinator"
        thread.start()
    }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<Int32, any Error> {
        AsyncThrowingStream { continuation in
            let flag = CancelFlag()
            continuation.onTermination = { _ in flag.set() }
            lock.lock()
            waiting += 1
            lock.unlock()
            queue.push(Job(request: request, continuation: continuation, cancelled: flag))
        }
    }

    func status() async -> ClusterStatus {
        lock.withLock {
            var s = snapshot
            s.migrations = migrations
            s.tokenLatencies = Array(latencies.suffix(512))
            s.tokensGenerated = tokens
            s.queuedSequences = waiting
            return s
        }
    }

    private func serve() {
        while true {
            guard let job = queue.pop(timeout: 3600) else { continue }
            lock.lock()
            waiting -= 1
            snapshot.activeSequences = 1
            lock.unlock()
            var sampler = Sampler(job.request.sampling, vocabSize: tokenizer.vocabSize)
            listed = 0
            var last = Date()
            do {
                let stopAtEnd = job.request.stopsAtEndOfGeneration
                _ = try coordinator.generate(
                    prompt: job.request.promptTokens, maxTokens: job.request.maxTokens, sampler: &sampler,
                    isStop: { [tokenizer] t in job.cancelled.isSet || (stopAtEnd && tokenizer.isEndOfGeneration(t)) }
                ) { token in
                    let now = Date()
                    lock.lock()
                    latencies.append(ClusterStatus.LatencySample(time: now.timeIntervalSince(started), seconds: now.timeIntervalSince(last)))
                    tokens += 1
                    lock.unlock()
                    last = now
                    refresh(report: coordinator.currentReport)
                    job.continuation.yield(token)
                }
                refresh(report: coordinator.currentReport)
                job.continuation.finish()
            } catch {
                job.continuation.finish(throwing: ServerError(.unavailable, "\(error)"))
            }
            lock.lock()
            snapshot.activeSequences = 0
            lock.unlock()
        }
    }

    /// Devices, placement, migrations and link bytes from the coordinator (called on its thread).
    private func refresh(report: RunReport?) {
        let names = coordinator.deviceNames
        let up = coordinator.devicesUp
        let devices = names.indices.map { ClusterStatus.Device(id: $0, name: names[$0], up: up[$0]) }
        let placement = ClusterStatus.placedBlocks(coordinator.layout, coordinator.placement)
        var links: [ClusterStatus.Link] = []
        if let report {
            for (i, d) in report.devices.enumerated() where i > 0 {
                links.append(ClusterStatus.Link(from: 0, to: i, bytes: d.bytes_sent))
                links.append(ClusterStatus.Link(from: i, to: 0, bytes: d.bytes_received))
            }
        }
        lock.lock()
        snapshot.devices = devices
        snapshot.placement = placement
        if !links.isEmpty { snapshot.links = links }
        if let report, report.migrations.count > listed {
            let now = Date().timeIntervalSince(started)
            for m in report.migrations.dropFirst(listed) {
                guard let b = coordinator.layout.index(named: m.block) else { continue }
                migrations.append(ClusterStatus.Migration(
                    id: migrations.count + 1, time: now,
                    block: ClusterStatus.PlacedBlock(coordinator.layout.blocks[b], device: names.firstIndex(of: m.to) ?? 0),
                    from: names.firstIndex(of: m.from) ?? 0, to: names.firstIndex(of: m.to) ?? 0, bytes: m.bytes,
                    pauseSeconds: m.pause_ms / 1e3))
            }
            listed = report.migrations.count
        }
        lock.unlock()
    }
}
