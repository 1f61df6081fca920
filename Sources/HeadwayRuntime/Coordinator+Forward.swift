import HeadwayCore
import HeadwayEngine

/// One forward pass over the devices: the schedule's rounds, each a set of jobs sent at once and awaited, the
/// replies taken into the residual stream or the heads, and the live measurements updated from decode jobs.
extension Coordinator {
    /// Runs one forward pass of `tokens` (at most `local.maxTokens`) and leaves the logits of the last one.
    func forward(_ tokens: UnsafeBufferPointer<Int32>, position: Int) throws(RuntimeError) {
        let c = model.configuration
        let n = tokens.count
        do {
            try embedding.forward(tokens, out: xBuffer)
        } catch {
            throw RuntimeError(.engine, error.message)
        }
        failedDevice = nil
        for round in schedule.rounds {
            roundStarted = monotonicSeconds()
            let x = Array(UnsafeBufferPointer(start: xBuffer, count: n * c.modelDim))
            // An attention round (every job one emitting attention step) may travel quantized (`Q8Rows`).
            let layer = round[0].steps[0].layer
            let attentionRound = options.quantizedActivations && round.allSatisfy { $0.emitsHeads && $0.steps.count == 1 }
            let quantizeHeads = attentionRound && projectionTakesQuantized[layer]
            // A worker of the coordinator's kernel set quantizes the input exactly as this would (same RMSNorm).
            func takesQuantizedInput(_ d: Int) -> Bool {
                attentionRound && attentionTakesQuantized[layer] && d != 0 && infos[d].kernels == infos[0].kernels
            }
            let quantizedInput = round.contains { takesQuantizedInput($0.device) } ? normalizedInput(layer: layer, tokens: n) : []
            var jobs: [(Schedule.Job, Double)] = []
            for job in round {
                var run = RunJob(sequence: sequence, epoch: epoch, position: position, tokens: n, steps: job.steps, x: x,
                                 quantizeOutput: quantizeHeads)
                if takesQuantizedInput(job.device) {
                    run.x = []
                    run.quantizedInput = quantizedInput
                }
                if job.needsHeads {
                    if headsAreQuantized {
                        run.quantizedHeads = Array(quantizedHeads.prefix(Q8Rows.byteCount(tokens: n, cols: c.queryDim)))
                    } else {
                        run.heads = Array(UnsafeBufferPointer(start: headsBuffer, count: n * c.queryDim))
                    }
                }
                if job.device == 0 {
                    jobs.append((job, 0))
                    let t0 = monotonicSeconds()
                    let r = local.handle(.run(run))
                    try absorb(r, job: job, tokens: n, sent: t0, quantized: quantizeHeads)
                } else {
                    try failing(job.device) { () throws(RuntimeError) in try connection(job.device).send(.run(run)) }
                    jobs.append((job, monotonicSeconds()))
                }
            }
            for (job, sent) in jobs where job.device != 0 {
                let r = try failing(job.device) { () throws(RuntimeError) in try connection(job.device).reply(timeout: options.timeout) }
                try absorb(r, job: job, tokens: n, sent: sent, quantized: quantizeHeads)
            }
        }
        lmHead.forward(xBuffer + (n - 1) * c.modelDim, tokens: 1, logits: logits, scratch: scratch, pool: local.pool)
    }

    /// The layer's attention input as its Q, K and V products quantize it (`Q8Rows` of RMSNorm(x)), from `xBuffer`.
    func normalizedInput(layer: Int, tokens n: Int) -> [UInt8] {
        let c = model.configuration
        let xq = Q8Activations(carving: normScratch + n * c.modelDim, tokens: n, cols: c.modelDim)
        LayerAttention.normalizedInput(norm: model.weights.layers[layer].attentionNorm, c, xBuffer, tokens: n, xn: normScratch, into: xq)
        return [UInt8](unsafeUninitializedCapacity: Q8Rows.byteCount(tokens: n, cols: c.modelDim)) { b, count in
            Q8Rows.pack(xq, into: b.baseAddress!)
            count = b.count
        }
    }

    /// Runs `body`; a broken connection or a silent device is recorded as `failedDevice` before the error goes on.
    func failing<T>(_ d: Int, _ body: () throws(RuntimeError) -> T) throws(RuntimeError) -> T {
        do {
            return try body()
        } catch {
            if error.code == .unreachable || error.code == .timeout { failedDevice = d }
            throw error
        }
    }

    /// Takes a job's reply into the residual stream or the heads, and updates the live measurements.
    /// - Parameter quantized: the round asked for head outputs as `Q8Rows` (every job of a round is asked alike).
    func absorb(_ reply: Message, job: Schedule.Job, tokens n: Int, sent: Double, quantized: Bool) throws(RuntimeError) {
        let c = model.configuration
        guard case .result(let r) = reply else {
            if case .failure(let code, let text) = reply { throw RuntimeError(RuntimeError.Code(code), text) }
            throw RuntimeError(.badFrame, "\(infos[job.device].name) answered a job with something else")
        }
        guard r.quantized.isEmpty || (quantized && job.emitsHeads) else {
            throw RuntimeError(.badFrame, "\(infos[job.device].name) returned quantized values it was not asked for")
        }
        if job.emitsHeads, quantized {
            let per = c.groupDim / 32 * Q8Rows.blockBytes
            let rowBytes = c.queryDim / 32 * Q8Rows.blockBytes
            guard case .attention(_, let groups, _) = job.steps.last!, r.values.isEmpty, r.quantized.count == n * groups.count * per,
                  quantizedHeads.count >= n * rowBytes else {
                throw RuntimeError(.badFrame, "\(infos[job.device].name) returned \(r.quantized.count) bytes of quantized heads")
            }
            r.quantized.withUnsafeBytes { src in
                quantizedHeads.withUnsafeMutableBytes { dst in
                    for t in 0..<n {
                        for (i, g) in groups.enumerated() {
                            (dst.baseAddress! + t * rowBytes + g * per).copyMemory(from: src.baseAddress! + (t * groups.count + i) * per, byteCount: per)
                        }
                    }
                }
            }
            headsAreQuantized = true
        } else if job.emitsHeads {
            guard case .attention(_, let groups, _) = job.steps.last!, r.values.count == n * groups.count * c.groupDim else {
                throw RuntimeError(.badFrame, "\(infos[job.device].name) returned \(r.values.count) head numbers")
            }
            headsAreQuantized = false
            r.values.withUnsafeBufferPointer { v in
                for t in 0..<n {
                    for (i, g) in groups.enumerated() {
                        (headsBuffer + t * c.queryDim + g * c.groupDim).update(from: v.baseAddress! + (t * groups.count + i) * c.groupDim, count: c.groupDim)
                    }
                }
            }
        } else {
            guard r.values.count == n * c.modelDim else {
                throw RuntimeError(.badFrame, "\(infos[job.device].name) returned \(r.values.count) residual numbers")
            }
            r.values.withUnsafeBufferPointer { xBuffer.update(from: $0.baseAddress!, count: $0.count) }
        }
        if n == 1 { observe(job: job, compute: r.computeSeconds, roundTrip: monotonicSeconds() - sent) }
    }

    /// Live measurements from one decode job: the device's speed against the cost model's prediction for the job's
    /// blocks, and the link's one-way latency (round trip less compute, halved).
    func observe(job: Schedule.Job, compute: Double, roundTrip: Double) {
        let d = job.device
        let position = TokenPosition(promptLength: 0, generated: max(0, (migrator?.position ?? 0)))
        var predicted = 0.0
        let state = clusterState
        for step in job.steps {
            let kinds: [Int]
            switch step {
            case .attention(let l, let groups, _): kinds = groups.map { costModel.layout.attentionIndex(layer: l, group: $0) }
            case .projection(let l): kinds = [costModel.layout.projectionIndex(layer: l)]
            case .feedForward(let l): kinds = [costModel.layout.feedForwardIndex(layer: l)]
            }
            for b in kinds {
                predicted += costModel.executionTime(of: costModel.demand(of: b, at: position), on: d, in: state).value * speedFactor[d]
            }
        }
        let alpha = 0.1
        if predicted > 0 && compute > 0 {
            let ratio = compute / (predicted / speedFactor[d])
            speedFactor[d] = (1 - alpha) * speedFactor[d] + alpha * ratio
        }
        if d != 0 {
            let oneWay = max(0, (roundTrip - compute) / 2)
            liveLatency[d] = (1 - alpha) * liveLatency[d] + alpha * oneWay
        }
    }
}
