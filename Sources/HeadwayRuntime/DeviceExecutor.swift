#if canImport(Glibc)
import Glibc
#endif
import Foundation
public import HeadwayCore
public import HeadwayEngine
import HeadwayGGUF

/// What one device (a worker process, or the coordinator's own share) does with the messages it is sent: holds the
/// model's blocks (weights: mapped once, shared by every sequence) and, per sequence, the K/V caches of the attention
/// blocks placed on it; runs jobs; exports and installs caches for migration. Synchronous and single-threaded: the
/// transport calls `handle` from one compute thread, one message at a time, so jobs and migration steps never race.
/// The compute path of a job (`run`) does not allocate.
public final class DeviceExecutor: @unchecked Sendable {
    public let model: LlamaModel
    public private(set) var info: WorkerInfo
    public let pool: WorkerPool
    /// Tokens per job (the coordinator's prefill chunk).
    public let maxTokens: Int
    let attention: [AttentionBlock]
    let projection: [ProjectionBlock]
    let feedForward: [FeedForwardBlock]
    let costModel: DecodeCostModel
    private var sequences: [UInt32: SequenceState] = [:]
    private var workspace: ExecutorWorkspace
    /// Emulated slowdown: after each job, sleep so that compute takes `1 / cpuShare` of its time (1 = none).
    public var cpuShare: Double = 1

    final class SequenceState {
        /// The connection that opened the sequence: when it closes (the coordinator is gone), the sequence goes.
        let owner: UInt64
        let capacity: Int
        let format: KVCacheFormat
        /// Indexed like `attention` (layer · kvHeadCount + group); nil where the block is not held here.
        var caches: [KVCache?]
        init(owner: UInt64, capacity: Int, format: KVCacheFormat, count: Int) {
            self.owner = owner
            self.capacity = capacity
            self.format = format
            caches = Array(repeating: nil, count: count)
        }
    }

    /// - Parameters:
    ///   - memoryBytes: memory this device offers for blocks (nil: what the OS reports available).
    ///   - maxContext: the longest context a sequence may ask for.
    public init(model: LlamaModel, name: String, threads: Int, memoryBytes: Double? = nil, maxContext: Int = 8192,
                maxTokens: Int = 32) throws(RuntimeError) {
        self.model = model
        let c = model.configuration
        pool = WorkerPool(threads: threads)
        self.maxTokens = maxTokens
        let positions = min(maxContext, max(1, c.trainedContextLength))
        let rope = RopeTable(headDim: c.headDim, base: c.ropeBase, capacity: max(positions, maxContext))
        attention = (0..<c.layerCount).flatMap { l in
            (0..<c.kvHeadCount).map { g in model.attentionBlock(layer: l, group: g, positions: max(positions, maxContext), rope: rope) }
        }
        projection = (0..<c.layerCount).map { model.projectionBlock(layer: $0) }
        feedForward = (0..<c.layerCount).map { model.feedForwardBlock(layer: $0) }
        costModel = DecodeCostModel(shape: model.shape, weightsPreloaded: true)
        info = WorkerInfo(name: name, threads: threads, memoryBytes: memoryBytes ?? Self.availableMemory(),
                          kernels: KernelSet.active.rawValue, modelFingerprint: model.fingerprint)
        workspace = ExecutorWorkspace(c, tokens: maxTokens, capacity: 1, threads: threads)
    }

    /// Changes the name the device reports (e.g. once its port is known).
    public func rename(_ name: String) { info.name = name }

    /// Memory the OS reports available (`MemAvailable`), in bytes.
    static func availableMemory() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 4e9 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1024 }
        }
        return 4e9
    }

    /// Handles one request from connection `client` and returns its reply (`.failure` for anything it refuses; it
    /// never traps on a request).
    public func handle(_ message: Message, client: UInt64 = 0) -> Message {
        do {
            return try reply(message, client: client)
        } catch {
            return .failure(code: error.code.rawValue, message: "\(info.name): \(error.message)")
        }
    }

    /// Drops every sequence that connection `client` opened (it closed: its coordinator is gone).
    public func forget(client: UInt64) {
        sequences = sequences.filter { $0.value.owner != client }
    }

    /// Sequences open on this device.
    public var openSequences: Int { sequences.count }

    private func reply(_ message: Message, client: UInt64) throws(RuntimeError) -> Message {
        switch message {
        case .hello: return .welcome(info)
        case .measure: return .measured(measure())
        case .echo(let d): return .echo(d)
        case .open(let s, let capacity, let formatName, let blocks): return try open(s, capacity, formatName, blocks, client: client)
        case .close(let s):
            sequences[s] = nil
            return .ok
        case .run(let job): return .result(try run(job))
        case .export(let s, let b, let since): return try export(s, b, since)
        case .install(let s, let b, let snapshot, let bytes): return try install(s, b, !snapshot, bytes)
        case .drop(let s, let b):
            let (state, i) = try held(s, b, mustHold: false)
            state.caches[i] = nil
            return .ok
        case .welcome, .measured, .result, .exported, .installed, .ok, .failure:
            throw RuntimeError(.badFrame, "\(info.name): a reply sent as a request")
        }
    }

    // MARK: Sequences and caches

    private func open(_ s: UInt32, _ capacity: Int, _ formatName: String, _ blocks: [Block], client: UInt64) throws(RuntimeError) -> Message {
        let c = model.configuration
        guard let format = KVCacheFormat(formatName) else {
            throw RuntimeError(.invalidArgument, "unknown K/V cache format '\(formatName)'")
        }
        guard capacity >= 1, capacity <= attention[0].positions else {
            throw RuntimeError(.invalidArgument, "context of \(capacity) positions outside 1...\(attention[0].positions)")
        }
        let state = sequences[s] ?? SequenceState(owner: client, capacity: capacity, format: format, count: attention.count)
        guard state.capacity == capacity, state.format == format else {
            throw RuntimeError(.invalidArgument, "sequence \(s) is already open with another context or format")
        }
        var needed = 0.0
        for b in blocks {
            guard b.layer < c.layerCount else { throw RuntimeError(.invalidArgument, "block \(b): the model has \(c.layerCount) layers") }
            guard case .attention(let g) = b.kind else { continue }
            guard g < c.kvHeadCount else { throw RuntimeError(.invalidArgument, "block \(b): the model has \(c.kvHeadCount) groups") }
            needed += Double(format.bytes(positions: capacity, headDim: c.headDim))
        }
        let held = Double(sequences.values.reduce(0) { total, st in
            total + st.caches.reduce(0) { $0 + ($1 == nil ? 0 : st.format.bytes(positions: st.capacity, headDim: c.headDim)) }
        })
        guard held + needed <= info.memoryBytes else {
            throw RuntimeError(.refused, "K/V caches of \(Int(needed)) bytes do not fit: \(Int(held)) of \(Int(info.memoryBytes)) bytes in use")
        }
        for b in blocks {
            guard case .attention(let g) = b.kind else { continue }
            let i = b.layer * c.kvHeadCount + g
            if state.caches[i] == nil { state.caches[i] = attention[i].makeCache(capacity: capacity, format: format) }
        }
        sequences[s] = state
        if workspace.capacity < capacity {
            workspace = ExecutorWorkspace(c, tokens: maxTokens, capacity: capacity, threads: pool.threads)
        }
        return .ok
    }

    private func held(_ s: UInt32, _ b: Block, mustHold: Bool = true) throws(RuntimeError) -> (SequenceState, Int) {
        let c = model.configuration
        guard let state = sequences[s] else { throw RuntimeError(.invalidArgument, "sequence \(s) is not open") }
        guard case .attention(let g) = b.kind, b.layer < c.layerCount, g < c.kvHeadCount else {
            throw RuntimeError(.invalidArgument, "block \(b) has no K/V cache in this model")
        }
        let i = b.layer * c.kvHeadCount + g
        if mustHold && state.caches[i] == nil { throw RuntimeError(.invalidArgument, "block \(b) of sequence \(s) is not held here") }
        return (state, i)
    }

    private func export(_ s: UInt32, _ b: Block, _ since: Int?) throws(RuntimeError) -> Message {
        let (state, i) = try held(s, b)
        let cache = state.caches[i]!
        let sum = cache.checksum
        if let since {
            guard since <= cache.count else {
                throw RuntimeError(.invalidArgument, "block \(b): rows since \(since), but only \(cache.count) positions")
            }
            if let rows = cache.rowsSince(since) { return .exported(count: cache.count, checksum: sum, snapshot: false, bytes: rows) }
        }
        // A full snapshot: asked for, or rows that already aged out of the F16 window.
        return .exported(count: cache.count, checksum: sum, snapshot: true,
                         bytes: cache.serialized(layer: b.layer, group: i % model.configuration.kvHeadCount))
    }

    private func install(_ s: UInt32, _ b: Block, _ delta: Bool, _ bytes: [UInt8]) throws(RuntimeError) -> Message {
        let (state, i) = try held(s, b, mustHold: false)
        let g = i % model.configuration.kvHeadCount
        var cache = state.caches[i] ?? attention[i].makeCache(capacity: state.capacity, format: state.format)
        state.caches[i] = nil
        do {
            if delta {
                try cache.appendRows(bytes)
            } else {
                try cache.restore(from: bytes, layer: b.layer, group: g)
            }
        } catch {
            throw RuntimeError(.engine, "installing block \(b): \(error.message)")
        }
        let reply = Message.installed(count: cache.count, checksum: cache.checksum)
        state.caches[i] = cache
        return reply
    }

    // MARK: Jobs

    /// Runs a job. Validates it fully first: a malformed job changes no cache.
    func run(_ job: RunJob) throws(RuntimeError) -> RunResult {
        let c = model.configuration
        let n = job.tokens
        guard let state = sequences[job.sequence] else { throw RuntimeError(.invalidArgument, "sequence \(job.sequence) is not open") }
        guard n >= 1, n <= maxTokens else { throw RuntimeError(.invalidArgument, "job of \(n) tokens (1...\(maxTokens))") }
        let quantizedIn = !job.quantizedInput.isEmpty
        if quantizedIn {
            guard job.x.isEmpty, job.steps.count == 1, case .attention(let l, let groups, true) = job.steps[0], l < c.layerCount else {
                throw RuntimeError(.invalidArgument, "a quantized input is only for a job of one emitting attention step")
            }
            guard c.modelDim % 32 == 0, job.quantizedInput.count == Q8Rows.byteCount(tokens: n, cols: c.modelDim) else {
                throw RuntimeError(.invalidArgument, "quantized input of \(job.quantizedInput.count) bytes, expected \(n) × \(c.modelDim / 32) blocks of \(Q8Rows.blockBytes)")
            }
            for g in groups where g < c.kvHeadCount && !attention[l * c.kvHeadCount + g].takesQuantizedInput {
                throw RuntimeError(.invalidArgument, "block L\(l).head_\(g) has float weights: it needs the F32 input")
            }
        } else {
            guard job.x.count == n * c.modelDim else {
                throw RuntimeError(.invalidArgument, "x has \(job.x.count) numbers, expected \(n) × \(c.modelDim)")
            }
        }
        guard job.position + n <= state.capacity else {
            throw RuntimeError(.invalidArgument, "positions \(job.position)..<\(job.position + n) exceed the context of \(state.capacity)")
        }
        guard !job.steps.isEmpty else { throw RuntimeError(.invalidArgument, "job without steps") }
        var headsReady = false
        if case .projection(let l) = job.steps[0] {
            if job.quantizedHeads.isEmpty {
                guard job.heads.count == n * c.queryDim else {
                    throw RuntimeError(.invalidArgument, "heads have \(job.heads.count) numbers, expected \(n) × \(c.queryDim)")
                }
            } else {
                guard job.heads.isEmpty, c.queryDim % 32 == 0, job.quantizedHeads.count == Q8Rows.byteCount(tokens: n, cols: c.queryDim) else {
                    throw RuntimeError(.invalidArgument, "quantized heads of \(job.quantizedHeads.count) bytes, expected \(n) × \(c.queryDim / 32) blocks of \(Q8Rows.blockBytes) and no F32 heads")
                }
                guard l < c.layerCount, projection[l].takesQuantizedHeads else {
                    throw RuntimeError(.invalidArgument, "L\(l).projection has float weights: it needs the F32 heads")
                }
            }
            headsReady = true
        } else if !job.heads.isEmpty || !job.quantizedHeads.isEmpty {
            throw RuntimeError(.invalidArgument, "heads sent to a job that does not start with a projection")
        }
        var emitCount = 0
        for (k, step) in job.steps.enumerated() {
            guard step.layer < c.layerCount else { throw RuntimeError(.invalidArgument, "step \(step): the model has \(c.layerCount) layers") }
            switch step {
            case .attention(let l, let groups, let emit):
                guard !groups.isEmpty, groups.count <= c.kvHeadCount, zip(groups, groups.dropFirst()).allSatisfy({ $0 < $1 }),
                      groups.last! < c.kvHeadCount else {
                    throw RuntimeError(.invalidArgument, "step \(step): groups must ascend within 0..<\(c.kvHeadCount)")
                }
                for g in groups {
                    guard let cache = state.caches[l * c.kvHeadCount + g] else {
                        throw RuntimeError(.invalidArgument, "step \(step): block L\(l).head_\(g) of sequence \(job.sequence) is not held here")
                    }
                    guard cache.count == job.position else {
                        throw RuntimeError(.invalidArgument, "block L\(l).head_\(g) holds \(cache.count) positions, the job starts at \(job.position)")
                    }
                }
                if emit {
                    guard k == job.steps.count - 1 else { throw RuntimeError(.invalidArgument, "step \(step): emitting attention must be last") }
                    emitCount = groups.count
                } else {
                    guard groups.count == c.kvHeadCount else {
                        throw RuntimeError(.invalidArgument, "step \(step): heads kept for a projection need every group")
                    }
                    headsReady = true
                }
            case .projection:
                guard headsReady else { throw RuntimeError(.invalidArgument, "step \(step) has no head outputs to project") }
                headsReady = false
            case .feedForward: break
            }
        }
        if job.quantizeOutput {
            guard emitCount > 0, c.groupDim % 32 == 0 else {
                throw RuntimeError(.invalidArgument, "quantized output asked of a job that emits no heads (or heads not in blocks of 32)")
            }
        }
        let t0 = monotonicSeconds()
        let w = workspace
        job.x.withUnsafeBufferPointer { w.x.update(from: $0.baseAddress!, count: $0.count) }
        if !job.heads.isEmpty { job.heads.withUnsafeBufferPointer { w.heads.update(from: $0.baseAddress!, count: $0.count) } }
        for (k, step) in job.steps.enumerated() {
            switch step {
            case .attention(let l, let groups, let emit):
                for (j, g) in groups.enumerated() {
                    let i = l * c.kvHeadCount + g
                    (w.blocks + j).initialize(to: attention[i])
                    (w.caches + j).initialize(to: state.caches[i].take()!)
                }
                job.quantizedInput.withUnsafeBytes { q in
                    LayerAttention.forward(
                        blocks: UnsafeBufferPointer(start: w.blocks, count: groups.count), caches: w.caches, w.x, tokens: n,
                        out: emit ? w.out : w.heads, outStride: emit ? groups.count * c.groupDim : c.queryDim,
                        scratch: w.scratch, views: w.views, pool: pool, quantizedInput: quantizedIn ? q.baseAddress : nil)
                }
                for (j, g) in groups.enumerated() {
                    state.caches[l * c.kvHeadCount + g] = (w.caches + j).move()
                    (w.blocks + j).deinitialize(count: 1)
                }
            case .projection(let l):
                // Quantized heads come with the job, for its first step only.
                let given = k == 0 && !job.quantizedHeads.isEmpty
                job.quantizedHeads.withUnsafeBytes { q in
                    projection[l].forward(heads: w.heads, residual: w.x, tokens: n, scratch: w.scratch, pool: pool,
                                          quantizedHeads: given ? q.baseAddress : nil)
                }
            case .feedForward(let l):
                feedForward[l].forward(residual: w.x, tokens: n, scratch: w.scratch, pool: pool)
            }
        }
        var values: [Float] = []
        var quantized: [UInt8] = []
        if job.quantizeOutput {
            let cols = emitCount * c.groupDim
            quantized = [UInt8](unsafeUninitializedCapacity: Q8Rows.byteCount(tokens: n, cols: cols)) { b, count in
                Q8Rows.quantize(w.out, tokens: n, cols: cols, scratch: w.scratch, into: b.baseAddress!)
                count = b.count
            }
        } else {
            values = emitCount > 0
                ? Array(UnsafeBufferPointer(start: w.out, count: n * emitCount * c.groupDim))
                : Array(UnsafeBufferPointer(start: w.x, count: n * c.modelDim))
        }
        let compute = monotonicSeconds() - t0
        if cpuShare < 1, cpuShare > 0 { Self.sleep(seconds: compute * (1 / cpuShare - 1)) }
        return RunResult(values: values, quantized: quantized, computeSeconds: monotonicSeconds() - t0)
    }

    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        nanosleep(&ts, nil)
    }

    // MARK: Measurement

    /// Times decode steps of layer 0's feed-forward block (the model's own weights and kernels) for at least 60 ms
    /// (several CPU-quota periods, so a throttled device shows its average speed) and converts the mean step to the
    /// cost model's compute (FLOP/s) and memory bandwidth (bytes/s), so the model predicts that step exactly.
    func measure() -> WorkerSpeed {
        let c = model.configuration
        let w = workspace
        for i in 0..<c.modelDim { w.x[i] = Float(i % 7) * 0.01 }
        feedForward[0].forward(residual: w.x, tokens: 1, scratch: w.scratch, pool: pool)  // warm
        let t0 = monotonicSeconds()
        var steps = 0
        while steps < 8 || monotonicSeconds() - t0 < 0.06 {
            let s0 = monotonicSeconds()
            feedForward[0].forward(residual: w.x, tokens: 1, scratch: w.scratch, pool: pool)
            steps += 1
            if cpuShare < 1 { Self.sleep(seconds: (monotonicSeconds() - s0) * (1 / cpuShare - 1)) }
        }
        let t = (monotonicSeconds() - t0) / Double(steps)
        let demand = costModel.demand(of: costModel.layout.feedForwardIndex(layer: 0), at: TokenPosition(promptLength: 0, generated: 0))
        return WorkerSpeed(compute: demand.flops.value / t, memoryBandwidth: demand.bytesRead.value / t)
    }
}
