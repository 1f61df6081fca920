import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayTestSupport
import Testing

/// The runtime against the single-process engine, token for token.
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct DistributedGenerationTests {
    static let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 30, 2, 198, 1, 4093, 198, 504, 3458, 282, 4649, 314]
    static let model: LlamaModel = try! LlamaModel(path: try! TestModel.requiredPath())

    static func singleProcess(_ format: KVCacheFormat, tokens: Int) throws -> [Int32] {
        var session = LlamaSession(model: model, contextLength: 256, pool: .serial, cacheFormat: format)
        var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
        return try session.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler).tokens
    }

    /// A coordinator with `workers` in-process devices (each on its own compute thread, like a worker process).
    static func coordinator(workers: Int, options: CoordinatorOptions) throws -> (Coordinator, [InProcessDevice]) {
        let local = try DeviceExecutor(model: model, name: "coordinator", threads: 1, maxContext: 256)
        var devices: [InProcessDevice] = []
        var remotes: [RemoteDevice] = []
        for i in 1...workers {
            let d = InProcessDevice(executor: try DeviceExecutor(model: model, name: "w\(i)", threads: 1, maxContext: 256))
            devices.append(d)
            remotes.append(RemoteDevice(data: d.connect(), bulk: d.connect()))
        }
        return (try Coordinator(model: model, local: local, remotes: remotes, options: options), devices)
    }

    static func run(_ c: Coordinator, tokens: Int) throws -> RunReport {
        let model = c.model
        var sampler = Sampler(.greedy, vocabSize: model.configuration.vocabSize)
        return try c.generate(prompt: prompt, maxTokens: tokens, sampler: &sampler)
    }

    static func options(_ format: KVCacheFormat, placement: Placement? = nil) -> CoordinatorOptions {
        var o = CoordinatorOptions()
        o.contextLength = 256
        o.cacheFormat = format
        o.fixedPlacement = placement
        return o
    }

    @Test(arguments: [KVCacheFormat.f16, .standard])
    func plannedPlacementGivesTheSameTokens(_ format: KVCacheFormat) throws {
        let expected = try Self.singleProcess(format, tokens: 24)
        let (c, devices) = try Self.coordinator(workers: 3, options: Self.options(format))
        defer { devices.forEach { $0.stop() } }
        let report = try Self.run(c, tokens: 24)
        #expect(report.tokens == expected)
        #expect(report.epochs.count == 1 && report.epochs[0].predicted_ms_per_token > 0)
    }

    /// Random placements: every block anywhere, heads of one layer on different devices.
    @Test(arguments: [KVCacheFormat.f16, .standard])
    func anyPlacementGivesTheSameTokens(_ format: KVCacheFormat) throws {
        let expected = try Self.singleProcess(format, tokens: 12)
        let layout = BlockLayout(shape: try ModelShape(gguf: Self.model.file))
        var rng = SplitMix64(seed: 7)
        for trial in 0..<3 {
            let placement = Placement(devices: (0..<layout.count).map { _ in Int(rng.next() % 4) })
            let (c, devices) = try Self.coordinator(workers: 3, options: Self.options(format, placement: placement))
            defer { devices.forEach { $0.stop() } }
            let report = try Self.run(c, tokens: 12)
            #expect(report.tokens == expected, "placement \(trial)")
            #expect(report.epochs[0].round_trips_per_token > 10)
        }
    }

    /// Blocks move with their caches every few tokens (staged copies, verified checksums); tokens unchanged.
    @Test(arguments: [KVCacheFormat.f16, KVCacheFormat(storage: .q8_0, sinkPositions: 4, recentPositions: 8)])
    func forcedMigrationsKeepTheTokens(_ format: KVCacheFormat) throws {
        let expected = try Self.singleProcess(format, tokens: 40)
        let layout = BlockLayout(shape: try ModelShape(gguf: Self.model.file))
        var placement = Placement(blockCount: layout.count, allOn: 1)
        for l in 15..<30 { for b in layout.indices(ofLayer: l) { placement[b] = 2 } }
        var o = Self.options(format, placement: placement)
        o.forceMigrationEvery = 4
        let (c, devices) = try Self.coordinator(workers: 3, options: o)
        defer { devices.forEach { $0.stop() } }
        let report = try Self.run(c, tokens: 40)
        #expect(report.tokens == expected)
        #expect(report.migrations.count >= 5)
        #expect(report.migrations.allSatisfy { $0.bytes > 0 && $0.stages >= 1 && $0.pause_ms >= 0 })
        #expect(report.epochs.count == report.migrations.count + 1)
    }

    @Test func replanningFromLiveMeasurementsKeepsTheTokens() throws {
        let expected = try Self.singleProcess(.standard, tokens: 30)
        var o = Self.options(.standard)
        o.replanEvery = 5
        let (c, devices) = try Self.coordinator(workers: 2, options: o)
        defer { devices.forEach { $0.stop() } }
        let report = try Self.run(c, tokens: 30)
        #expect(report.tokens == expected)
        #expect(report.replans == 5)
    }

    @Test func aWorkerWithAnotherModelIsRefusedByName() throws {
        // Same weights, but the coordinator believes in another file: simulated by a worker whose fingerprint differs.
        let local = try DeviceExecutor(model: Self.model, name: "coordinator", threads: 1, maxContext: 64)
        let stranger = InProcessDevice(executor: try DeviceExecutor(model: Self.model, name: "stranger", threads: 1, maxContext: 64))
        defer { stranger.stop() }
        let liar = FingerprintRewriter(inner: stranger.connect())
        do {
            _ = try Coordinator(model: Self.model, local: local, remotes: [RemoteDevice(data: liar, bulk: stranger.connect())], options: Self.options(.f16))
            Issue.record("a worker with another model was accepted")
        } catch {
            #expect(error.code == .incompatible && error.message.contains("stranger"))
        }
    }
}

/// Wraps a connection and changes the fingerprint in the worker's welcome (a worker serving another file).
final class FingerprintRewriter: Connection, @unchecked Sendable {
    let inner: any Connection
    init(inner: any Connection) { self.inner = inner }
    var peer: String { inner.peer }
    func send(_ message: Message) throws(RuntimeError) { try inner.send(message) }
    func receive(timeout: Double) throws(RuntimeError) -> Message? {
        guard case .welcome(var info)? = try inner.receive(timeout: timeout) else { return nil }
        info.modelFingerprint = "other"
        return .welcome(info)
    }
    var bytesSent: Int { 0 }
    var bytesReceived: Int { 0 }
    func close() { inner.close() }
}
