import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayTestSupport
import Testing

/// A worker lost mid-generation: the sequence completes with the single-process tokens.
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct WorkerLossTests {
    /// Forwards to a device's connection and kills the device (as `kill -9` would) just before the `n`-th job.
    final class KillSwitch: Connection, @unchecked Sendable {
        let inner: any Connection
        let device: InProcessDevice
        var jobsLeft: Int
        init(_ device: InProcessDevice, afterJobs n: Int) {
            self.device = device
            inner = device.connect()
            jobsLeft = n
        }
        var peer: String { inner.peer }
        func send(_ message: Message) throws(RuntimeError) {
            if case .run = message {
                jobsLeft -= 1
                if jobsLeft == 0 { device.kill() }
            }
            try inner.send(message)
        }
        func receive(timeout: Double) throws(RuntimeError) -> Message? { try inner.receive(timeout: timeout) }
        var bytesSent: Int { inner.bytesSent }
        var bytesReceived: Int { inner.bytesReceived }
        func close() { inner.close() }
    }

    @Test(arguments: [(KVCacheFormat.f16, UInt64(1)), (.standard, 2), (.standard, 3)])
    func aKilledWorkerLosesNothing(_ format: KVCacheFormat, seed: UInt64) throws {
        let model = DistributedGenerationTests.model
        let expected = try DistributedGenerationTests.singleProcess(format, tokens: 30)
        let layout = BlockLayout(shape: try ModelShape(gguf: model.file))
        var rng = SplitMix64(seed: seed)
        // Layers spread over three workers, heads of some layers split: every worker holds blocks with caches.
        var placement = Placement(blockCount: layout.count, allOn: 1)
        for l in 0..<layout.layerCount {
            for b in layout.indices(ofLayer: l) { placement[b] = 1 + l % 3 }
            if l % 4 == 0 { placement[layout.attentionIndex(layer: l, group: 1)] = 1 + (l + 1) % 3 }
        }
        let victim = 1 + Int(rng.next() % 3)
        let killAt = 1 + Int(rng.next() % 40)  // a job index: anywhere from the prompt to late tokens
        let local = try DeviceExecutor(model: model, name: "coordinator", threads: 1, maxContext: 256)
        var devices: [InProcessDevice] = []
        var remotes: [RemoteDevice] = []
        for i in 1...3 {
            let d = InProcessDevice(executor: try DeviceExecutor(model: model, name: "w\(i)", threads: 1, maxContext: 256))
            devices.append(d)
            let data: any Connection = i == victim ? KillSwitch(d, afterJobs: killAt) : d.connect()
            remotes.append(RemoteDevice(data: data, bulk: d.connect()))
        }
        defer { devices.forEach { $0.stop() } }
        var o = DistributedGenerationTests.options(format, placement: placement)
        o.forceMigrationEvery = 6
        o.timeout = 5
        let c = try Coordinator(model: model, local: local, remotes: remotes, options: o)
        let report = try DistributedGenerationTests.run(c, tokens: 30)
        #expect(report.tokens == expected, "worker \(victim) killed before job \(killAt)")
        #expect(report.recoveries.count == 1)
        if let r = report.recoveries.first {
            #expect(r.device == "w\(victim)" && r.detection_ms < 1000)
        }
        // Nothing of the lost worker is in the placement at the end.
        #expect(report.epochs.last!.placement["w\(victim)"] == nil)
    }

    /// When the coordinator goes, its sequences go too.
    @Test func aClosedCoordinatorLeavesNoState() throws {
        let model = DistributedGenerationTests.model
        let d = InProcessDevice(executor: try DeviceExecutor(model: model, name: "w1", threads: 1, maxContext: 64))
        defer { d.stop() }
        let conn = d.connect()
        _ = try conn.call(.open(sequence: 1, capacity: 64, cacheFormat: "f16", blocks: [Block(layer: 0, kind: .attention(group: 0))]), timeout: 5)
        let probe = d.connect()
        _ = try probe.call(.echo([]), timeout: 5)
        #expect(d.executor.openSequences == 1)
        conn.close()
        _ = try probe.call(.echo([]), timeout: 5)  // runs after the disconnect on the compute thread
        #expect(d.executor.openSequences == 0)
    }
}
