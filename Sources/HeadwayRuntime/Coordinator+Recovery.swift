import HeadwayCore
import HeadwayEngine

extension Coordinator {
    /// Runs a forward pass; if a worker is lost during it (its connection closed, or it stopped answering), recovers
    /// and runs the pass again. `history` is every token already in the caches (`position` of them).
    ///
    /// Recovery replays the token history (Petals-style, at the sequence level): the lost device is marked offline,
    /// the planner places the model on the devices left, every cache is rebuilt from empty by running the history
    /// again with the very chunking of the first time (the prompt in chunks of the job size, then one token per
    /// step), so the caches, and hence every later token, are bit for bit those of a run without the failure.
    func forwardRecovering(_ tokens: UnsafeBufferPointer<Int32>, position: Int, history: [Int32], promptLength: Int,
                           generated: Int) throws(RuntimeError) {
        while true {
            do {
                try forward(tokens, position: position)
                return
            } catch {
                guard let lost = failedDevice else { throw error }
                try recover(lost: lost, error: error, history: Array(history.prefix(position)), promptLength: promptLength,
                            generated: generated)
            }
        }
    }

    private func recover(lost d: Int, error: RuntimeError, history: [Int32], promptLength: Int, generated: Int) throws(RuntimeError) {
        let detection = monotonicSeconds() - roundStarted
        let t0 = monotonicSeconds()
        alive[d] = false
        remotes[d - 1].data.close()
        remotes[d - 1].bulk.close()
        options.log("worker \(infos[d].name) lost at token \(generated) (\(error.message)); re-placing on the \(alive.filter { $0 }.count) devices left")
        if let m = migrator {
            migrator = nil
            abandonQuietly(m)
        }
        closeSequence()
        let bytesBefore = remotes.indices.filter { alive[$0 + 1] }.reduce(0) { $0 + remotes[$1].data.bytesSent + remotes[$1].data.bytesReceived }
        let next = try makePlan(position: TokenPosition(promptLength: promptLength, generated: generated), previous: nil)
        guard next.devices.allSatisfy({ alive[$0] }) else {
            throw RuntimeError(.noPlacement, "no placement of the model fits the devices left after losing \(infos[d].name)")
        }
        commit(next, fromToken: generated, position: TokenPosition(promptLength: promptLength, generated: generated))
        try openSequence()
        // Replay: the prompt in the chunks it was first run in, then the generated tokens one by one.
        try history.withUnsafeBufferPointer { (all) throws(RuntimeError) in
            var p = 0
            while p < all.count {
                let n = p < promptLength ? min(local.maxTokens, promptLength - p) : 1
                try forward(UnsafeBufferPointer(rebasing: all[p..<(p + n)]), position: p)
                p += n
            }
        }
        let bytesAfter = remotes.indices.filter { alive[$0 + 1] }.reduce(0) { $0 + remotes[$1].data.bytesSent + remotes[$1].data.bytesReceived }
        let recovery = monotonicSeconds() - t0
        report.recoveries.append(RunReport.Recovery(
            device: infos[d].name, token: generated, error: error.message, detection_ms: detection * 1e3,
            recovery_ms: recovery * 1e3, replayed_tokens: history.count, bytes: bytesAfter - bytesBefore))
        options.log(String(format: "recovered from the loss of %@ in %.0f ms (detected after %.0f ms, %d tokens replayed)",
                           infos[d].name, recovery * 1e3, detection * 1e3, history.count))
    }

    /// Forgets a pending move without waiting on devices that may be gone.
    private func abandonQuietly(_ m: Migrator) {
        for (dev, pending) in m.awaiting where alive[dev] {
            for _ in pending { _ = try? connection(dev, bulk: true).receive(timeout: options.timeout) }
        }
    }
}
