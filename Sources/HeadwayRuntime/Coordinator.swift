import Foundation
public import HeadwayCore
public import HeadwayEngine
import HeadwayGGUF
public import HeadwayPlanner

/// A remote device as the coordinator reaches it: a data connection for jobs and a bulk connection for K/V copies,
/// so a migration's bytes never queue in front of a token's.
public struct RemoteDevice: Sendable {
    public var data: any Connection
    public var bulk: any Connection
    /// Connects to the same worker again (after it was lost), if it can be reached at a known address.
    public var reconnect: (@Sendable () throws(RuntimeError) -> RemoteDevice)?
    public init(data: any Connection, bulk: any Connection, reconnect: (@Sendable () throws(RuntimeError) -> RemoteDevice)? = nil) {
        self.data = data
        self.bulk = bulk
        self.reconnect = reconnect
    }
}

/// Runs a model over devices: device 0 is the coordinator's own (it holds the embedding and the LM head, and may
/// hold blocks), devices 1... are workers. At join it measures every worker (compute and memory speed on the model's
/// own feed-forward block, memory, round-trip time and bandwidth of its link) and builds the cluster state the
/// planners see; then it plans, opens the sequence on every device and generates, re-planning from live
/// measurements and migrating blocks with their caches as it goes (`Migrator`).
public final class Coordinator {
    public let model: LlamaModel
    public let options: CoordinatorOptions
    let local: DeviceExecutor
    var remotes: [RemoteDevice]
    /// Devices still reachable (a worker whose connection broke is out until it is reconnected).
    var alive: [Bool] = []
    /// The device whose connection failed in the last forward pass, if one did.
    var failedDevice: Int?
    var roundStarted = 0.0
    let costModel: DecodeCostModel
    let planner: any Planner
    let embedding: EmbeddingBlock
    let lmHead: LMHeadBlock
    /// Per device: what it said at join, its measured speed, its link (device 0: none).
    var infos: [WorkerInfo] = []
    var speeds: [WorkerSpeed] = []
    var rtt: [Double] = []
    var bandwidth: [Double] = []
    /// Live estimates: measured / predicted compute time of the device's jobs (EWMA), one-way link latency (EWMA).
    var speedFactor: [Double] = []
    var liveLatency: [Double] = []
    public internal(set) var cluster: Cluster
    public internal(set) var placement: Placement
    public internal(set) var epoch: UInt32 = 1
    var schedule: Schedule
    let sequence: UInt32 = 1
    var report = RunReport()
    var migrator: Migrator?
    /// Tokens the current `generate` call may still produce (the re-planning horizon).
    var tokensLeft = 0
    let xBuffer, headsBuffer, scratch, logits: UnsafeMutablePointer<Float>
    /// Normalized input and its Q8 form for attention jobs sent quantized (`n × modelDim` floats, then the view).
    let normScratch: UnsafeMutablePointer<Float>
    /// Head outputs of every group as `Q8Rows` (`n × queryDim`), filled by an attention round that returned them so.
    var quantizedHeads: [UInt8]
    var headsAreQuantized = false
    /// Per layer: its attention products (Q, K, V) and its projection read only Q8 activations.
    let attentionTakesQuantized, projectionTakesQuantized: [Bool]
    var logitsPointer: UnsafePointer<Float> { UnsafePointer(logits) }

    public var deviceCount: Int { remotes.count + 1 }
    /// Whether each device is reachable now.
    public var devicesUp: [Bool] { alive }
    /// The report of the generation under way (read it from `generate`'s callbacks, on the coordinator's thread).
    public var currentReport: RunReport { report }
    /// The block layout placements refer to.
    public var layout: BlockLayout { costModel.layout }
    public var deviceNames: [String] { infos.map(\.name) }

    /// Joins the workers, measures them and plans the first placement.
    /// - Throws: `RuntimeError` naming the worker that cannot be reached, is incompatible, or cannot hold its blocks.
    public init(model: LlamaModel, local: DeviceExecutor, remotes: [RemoteDevice], options: CoordinatorOptions) throws(RuntimeError) {
        self.model = model
        self.options = options
        self.local = local
        self.remotes = remotes
        let c = model.configuration
        do {
            var cm = DecodeCostModel(shape: model.shape, weightsPreloaded: true)
            // The attention fan travels as Q8 blocks (`Q8Rows`) unless asked for F32.
            if options.quantizedActivations { cm.fanActivationBytes = Double(Q8Rows.blockBytes) / 32 }
            costModel = cm
            planner = try PlannerRegistry.planner(named: options.planner)
        } catch {
            throw RuntimeError(.invalidArgument, "\(error)")
        }
        embedding = model.embeddingBlock()
        lmHead = model.lmHeadBlock()
        let n = local.maxTokens
        let make = UnsafeMutablePointer<Float>.zeroed
        normScratch = make(n * c.modelDim + Q8Activations.floatCount(tokens: n, cols: c.modelDim))
        quantizedHeads = c.queryDim % 32 == 0 ? [UInt8](repeating: 0, count: Q8Rows.byteCount(tokens: n, cols: c.queryDim)) : []
        // Asked of the local device's blocks: the same blocks, and the same question, as a worker's check of a job.
        attentionTakesQuantized = (0..<c.layerCount).map { l in
            c.modelDim % 32 == 0 && (0..<c.kvHeadCount).allSatisfy { local.attention[l * c.kvHeadCount + $0].takesQuantizedInput }
        }
        projectionTakesQuantized = local.projection.map { c.queryDim % 32 == 0 && c.groupDim % 32 == 0 && $0.takesQuantizedHeads }
        xBuffer = make(n * c.modelDim)
        headsBuffer = make(n * c.queryDim)
        scratch = make(LMHeadBlock.scratchCount(c, tokens: 1))
        logits = make(c.vocabSize)
        cluster = try! Cluster(devices: [Device(id: "coordinator", memory: Bytes(1), compute: FLOPsPerSecond(1), memoryBandwidth: BytesPerSecond(1))], links: [])
        placement = Placement(blockCount: costModel.layout.count, allOn: 0)
        schedule = Schedule(placement: placement, layout: costModel.layout)
        try join()
        let plan = try makePlan(position: TokenPosition(promptLength: 0, generated: 0), previous: nil)
        placement = options.fixedPlacement ?? plan
        guard placement.count == costModel.layout.count, placement.devices.allSatisfy({ $0 >= 0 && $0 < deviceCount }) else {
            throw RuntimeError(.invalidArgument, "placement of \(placement.count) blocks on devices \(Set(placement.devices).sorted()) does not fit \(costModel.layout.count) blocks on \(deviceCount) devices")
        }
        schedule = Schedule(placement: placement, layout: costModel.layout)
        report.planner = options.fixedPlacement == nil ? options.planner : "fixed"
    }

    deinit {
        for p in [xBuffer, headsBuffer, scratch, logits, normScratch] { p.deallocate() }
    }

    // MARK: Join and measurements

    private func join() throws(RuntimeError) {
        infos = [local.info]
        speeds = [local.measure()]
        rtt = [0]
        bandwidth = [.infinity]
        for r in remotes {
            let (info, speed, trip, bw) = try introduce(r)
            infos.append(info)
            speeds.append(speed)
            rtt.append(trip)
            bandwidth.append(bw)
        }
        speedFactor = Array(repeating: 1, count: deviceCount)
        liveLatency = rtt.map { $0 / 2 }
        alive = Array(repeating: true, count: deviceCount)
        cluster = try buildCluster()
    }

    /// Hello (model fingerprint checked), speed measurement, round-trip time and bandwidth of one worker.
    func introduce(_ r: RemoteDevice) throws(RuntimeError) -> (WorkerInfo, WorkerSpeed, Double, Double) {
        let me = local.info
        options.log("joining \(r.data.peer)")
        guard case .welcome(let info) = try r.data.call(.hello(coordinator: me.name, protocolVersion: Int(Frame.version)), timeout: options.timeout) else {
            throw RuntimeError(.incompatible, "\(r.data.peer) answered hello with something else")
        }
        guard info.modelFingerprint == me.modelFingerprint else {
            throw RuntimeError(.incompatible, "worker \(info.name) at \(r.data.peer) serves another model file (fingerprint \(info.modelFingerprint), the coordinator's is \(me.modelFingerprint))")
        }
        _ = try r.bulk.call(.hello(coordinator: me.name, protocolVersion: Int(Frame.version)), timeout: options.timeout)
        guard case .measured(let speed) = try r.data.call(.measure, timeout: options.timeout) else {
            throw RuntimeError(.incompatible, "\(info.name) answered measure with something else")
        }
        // Round trip: median of small echoes. Bandwidth: a 1 MiB echo on the bulk connection.
        var trips: [Double] = []
        for _ in 0..<9 {
            let t0 = monotonicSeconds()
            _ = try r.data.call(.echo([UInt8](repeating: 0, count: 64)), timeout: options.timeout)
            trips.append(monotonicSeconds() - t0)
        }
        let trip = trips.sorted()[trips.count / 2]
        let big = [UInt8](repeating: 1, count: 1 << 20)
        var bulkTimes: [Double] = []
        for _ in 0..<3 {
            let t0 = monotonicSeconds()
            _ = try r.bulk.call(.echo(big), timeout: options.timeout)
            bulkTimes.append(monotonicSeconds() - t0)
        }
        let bulkTime = max(bulkTimes.min()! - trip, 1e-6)
        let bw = Double(2 * big.count) / bulkTime
        options.log(String(format: "joined %@: %d threads, kernels %@, %.1f GFLOP/s, %.1f GB/s, rtt %.0f µs, link %.0f MB/s",
                           info.name, info.threads, info.kernels, speed.compute / 1e9, speed.memoryBandwidth / 1e9,
                           trip * 1e6, bw / 1e6))
        return (info, speed, trip, bw)
    }

    /// Tries to bring lost workers back (they restarted at the same address); a worker that answers and serves the
    /// same model is measured again and is a device of the next plan.
    func rejoinLostWorkers() {
        for d in 1..<deviceCount where !alive[d] {
            guard let again = remotes[d - 1].reconnect else { continue }
            do {
                let fresh = try again()
                let (info, speed, trip, bw) = try introduce(fresh)
                remotes[d - 1] = RemoteDevice(data: fresh.data, bulk: fresh.bulk, reconnect: remotes[d - 1].reconnect)
                infos[d] = info
                speeds[d] = speed
                rtt[d] = trip
                bandwidth[d] = bw
                speedFactor[d] = 1
                liveLatency[d] = trip / 2
                alive[d] = true
                options.log("worker \(info.name) is back")
            } catch {
                continue
            }
        }
    }

    /// The cluster as measured: a star of links from the coordinator (device 0) to each worker.
    func buildCluster() throws(RuntimeError) -> Cluster {
        var devices: [Device] = []
        for i in 0..<deviceCount {
            let f = speedFactor[i]
            let memory = (i == 0 && !options.coordinatorHoldsBlocks) ? costModel.controllerMemory(at: TokenPosition(promptLength: options.contextLength, generated: 0)).value + 1
                : infos[i].memoryBytes
            devices.append(Device(id: infos[i].name, memory: Bytes(memory), compute: FLOPsPerSecond(speeds[i].compute / f),
                                  memoryBandwidth: BytesPerSecond(speeds[i].memoryBandwidth / f)))
        }
        let links = (1..<max(1, deviceCount)).map { i in
            Link(a: infos[0].name, b: infos[i].name, bandwidth: BytesPerSecond(bandwidth[i]), latency: Seconds(liveLatency[i]))
        }
        do {
            return try Cluster(devices: devices, links: deviceCount > 1 ? links : [], controller: 0, source: "measured cluster")
        } catch {
            throw RuntimeError(.invalidArgument, "measured cluster: \(error)")
        }
    }

    /// The cluster state the planner sees now.
    public var clusterState: ClusterState { ClusterState(cluster: cluster, online: alive) }

    /// - Parameter remainingTokens: tokens still to generate: the `headway` planner weighs a move's one-time cost
    ///   against its gain over them (nil: over one token, the paper's myopic rule).
    func makePlan(position: TokenPosition, previous: Placement?, remainingTokens: Int? = nil) throws(RuntimeError) -> Placement {
        var request = PlanningRequest(costModel: costModel, state: clusterState, position: position, previous: previous)
        request.remainingTokens = remainingTokens
        do {
            return try planner.plan(request).placement
        } catch {
            throw RuntimeError(.noPlacement, "planner \(planner.name): \(error)")
        }
    }

    /// The cost model's per-token latency for `placement` at `position`, in seconds.
    public func predictedLatency(_ placement: Placement, at position: TokenPosition) -> Double {
        costModel.evaluate(placement, on: clusterState, at: position).latency.value
    }

    // MARK: Sending work

    /// Sends `message` to device `d` on its data connection (device 0: handled on this thread at `collect`).
    func connection(_ d: Int, bulk: Bool = false) -> any Connection {
        bulk ? remotes[d - 1].bulk : remotes[d - 1].data
    }

    /// A request to every device, in parallel, and their replies (device order as given).
    func broadcast(_ message: (Int) -> Message, to devices: [Int]) throws(RuntimeError) -> [Message] {
        let devices = devices.filter { alive[$0] }
        for d in devices where d != 0 { try failing(d) { () throws(RuntimeError) in try connection(d).send(message(d)) } }
        var replies: [Int: Message] = [:]
        if devices.contains(0) { replies[0] = local.handle(message(0)) }
        for d in devices where d != 0 {
            replies[d] = try failing(d) { () throws(RuntimeError) in try connection(d).reply(timeout: options.timeout) }
        }
        var out: [Message] = []
        for d in devices {
            if case .failure(let code, let text) = replies[d]! { throw RuntimeError(RuntimeError.Code(code), text) }
            out.append(replies[d]!)
        }
        return out
    }

    /// Opens the sequence on every device, each with the attention blocks the placement gives it.
    func openSequence() throws(RuntimeError) {
        let layout = costModel.layout
        let format = options.cacheFormat.description
        _ = try broadcast({ d in
            .open(sequence: self.sequence, capacity: self.options.contextLength, cacheFormat: format,
                  blocks: layout.blocks.indices.filter { self.placement[$0] == d }.map { layout.blocks[$0] })
        }, to: Array(0..<deviceCount))
    }

    func closeSequence() {
        _ = try? broadcast({ _ in .close(sequence: self.sequence) }, to: Array(0..<deviceCount))
    }

    /// Installs a new placement (after its moves completed): new epoch and schedule.
    func commit(_ next: Placement, fromToken: Int, position: TokenPosition) {
        closeEpoch()
        placement = next
        epoch += 1
        schedule = Schedule(placement: next, layout: costModel.layout)
        openEpoch(fromToken: fromToken, position: position)
    }

    func openEpoch(fromToken: Int, position: TokenPosition) {
        var byDevice: [String: [String]] = [:]
        for b in 0..<placement.count { byDevice[infos[placement[b]].name, default: []].append(costModel.layout.name(of: b)) }
        for d in 0..<deviceCount where byDevice[infos[d].name] == nil && alive[d] { byDevice[infos[d].name] = [] }
        report.epochs.append(RunReport.Epoch(
            epoch: Int(epoch), from_token: fromToken, placement: byDevice, round_trips_per_token: schedule.roundTrips,
            predicted_ms_per_token: predictedLatency(placement, at: position) * 1e3, measured_ms_per_token: 0, tokens: 0))
    }

    func closeEpoch() {
        guard var e = report.epochs.popLast() else { return }
        let lat = report.token_latency_ms.dropFirst(max(0, e.from_token - 1))
        e.tokens = lat.count
        e.measured_ms_per_token = lat.isEmpty ? 0 : lat.reduce(0, +) / Double(lat.count)
        report.epochs.append(e)
    }
}
