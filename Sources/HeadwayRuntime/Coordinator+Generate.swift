import HeadwayCore
public import HeadwayEngine

extension Coordinator {
    /// Prefills `prompt` in chunks of the devices' job size, then samples up to `maxTokens` tokens over the devices,
    /// calling `onToken` with each. Every `replanEvery` tokens it re-plans from the live measurements and starts the
    /// moves; every `forceMigrationEvery` tokens it moves one attention block to another device. Returns the report;
    /// the sequence is closed on every device at the end, also when generation fails.
    public func generate(
        prompt: [Int32], maxTokens: Int, sampler: inout Sampler, isStop: (Int32) -> Bool = { _ in false },
        onToken: (Int32) -> Void = { _ in }
    ) throws(RuntimeError) -> RunReport {
        guard !prompt.isEmpty else { throw RuntimeError(.invalidArgument, "the prompt has no tokens") }
        guard prompt.count + maxTokens <= options.contextLength + 1 else {
            throw RuntimeError(.invalidArgument, "prompt of \(prompt.count) tokens + \(maxTokens) new tokens exceed the context of \(options.contextLength)")
        }
        report = RunReport()
        report.planner = options.fixedPlacement == nil ? options.planner : "fixed"
        report.prompt_tokens = prompt.count
        try openSequence()
        do {
            try run(prompt: prompt, maxTokens: maxTokens, sampler: &sampler, isStop: isStop, onToken: onToken)
        } catch {
            closeSequence()
            throw error
        }
        closeSequence()
        finishReport()
        return report
    }

    private func run(
        prompt: [Int32], maxTokens: Int, sampler: inout Sampler, isStop: (Int32) -> Bool, onToken: (Int32) -> Void
    ) throws(RuntimeError) {
        openEpoch(fromToken: 0, position: TokenPosition(promptLength: prompt.count, generated: 0))
        let t0 = monotonicSeconds()
        var position = 0
        var history = prompt
        history.reserveCapacity(prompt.count + maxTokens)
        try prompt.withUnsafeBufferPointer { (all) throws(RuntimeError) in
            while position < all.count {
                let n = min(local.maxTokens, all.count - position)
                try forwardRecovering(UnsafeBufferPointer(rebasing: all[position..<(position + n)]), position: position,
                                      history: history, promptLength: prompt.count, generated: 0)
                position += n
            }
        }
        var token = sampler.sample(UnsafeBufferPointer(start: logitsPointer, count: model.configuration.vocabSize))
        report.prefill_ms = (monotonicSeconds() - t0) * 1e3
        let t1 = monotonicSeconds()
        var generated = 0
        var nextBlock = 0
        while !isStop(token) {
            report.tokens.append(token)
            onToken(token)
            generated += 1
            tokensLeft = min(maxTokens - generated, options.contextLength - position)
            if generated == maxTokens || position == options.contextLength { break }
            let s0 = monotonicSeconds()
            // Re-planning and migration happen at the boundary, before the next token.
            if options.replanEvery > 0 && generated % options.replanEvery == 0 && migrator == nil {
                replan(generated: generated, position: position)
            }
            if options.forceMigrationEvery > 0 && generated % options.forceMigrationEvery == 0 && migrator == nil && deviceCount > 1 {
                var target = placement
                let layout = costModel.layout
                let attention = layout.blocks.indices.filter { layout.blocks[$0].isAttention }
                let b = attention[nextBlock % attention.count]
                nextBlock += 7
                var to = (placement[b] + 1) % deviceCount
                while !alive[to] || (to == 0 && !options.coordinatorHoldsBlocks) { to = (to + 1) % deviceCount }
                if to != placement[b] {
                    target[b] = to
                    beginMigration(to: target, reason: "forced every \(options.forceMigrationEvery) tokens", position: position)
                }
            }
            advanceMigration(generated: generated, position: position)
            try withUnsafePointer(to: token) { (p) throws(RuntimeError) in
                try forwardRecovering(UnsafeBufferPointer(start: p, count: 1), position: position, history: history,
                                      promptLength: prompt.count, generated: generated)
            }
            history.append(token)
            position += 1
            token = sampler.sample(UnsafeBufferPointer(start: logitsPointer, count: model.configuration.vocabSize))
            report.token_latency_ms.append((monotonicSeconds() - s0) * 1e3)
        }
        let decode = monotonicSeconds() - t1
        report.decode_tokens_per_second = report.token_latency_ms.isEmpty ? 0 : Double(report.token_latency_ms.count) / decode
    }

    /// Re-plans from the live measurements; starts moving if the planner chose another placement.
    func replan(generated: Int, position: Int) {
        report.replans += 1
        rejoinLostWorkers()
        do {
            cluster = try buildCluster()
            let next = try makePlan(position: TokenPosition(promptLength: position - generated, generated: generated),
                                    previous: placement, remainingTokens: tokensLeft)
            if next != placement { beginMigration(to: next, reason: "re-plan at token \(generated)", position: position) }
        } catch {
            options.log("re-plan at token \(generated) failed: \(error); keeping the placement")
        }
    }

    private func finishReport() {
        closeEpoch()
        report.devices = (0..<deviceCount).map { i in
            RunReport.DeviceReport(
                name: infos[i].name, kernels: infos[i].kernels, threads: infos[i].threads, memory_bytes: infos[i].memoryBytes,
                compute_flops: speeds[i].compute, memory_bandwidth: speeds[i].memoryBandwidth, live_speed_factor: speedFactor[i],
                rtt_ms: rtt[i] * 1e3, bandwidth_bytes_per_s: bandwidth[i].isFinite ? bandwidth[i] : 0,
                live_latency_ms: liveLatency[i] * 1e3,
                bytes_sent: i == 0 ? 0 : remotes[i - 1].data.bytesSent + remotes[i - 1].bulk.bytesSent,
                bytes_received: i == 0 ? 0 : remotes[i - 1].data.bytesReceived + remotes[i - 1].bulk.bytesReceived)
        }
        report.predicted_vs_measured_ms_per_token = report.epochs.filter { $0.tokens > 0 }
            .map { $0.predicted_ms_per_token / $0.measured_ms_per_token }
    }
}
