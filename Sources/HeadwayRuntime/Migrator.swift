import HeadwayCore
import HeadwayEngine

/// Carries out a change of placement while generation goes on (Llumnix-style staged pre-copy, per block):
///
/// 1. Stage 0: the source exports a snapshot of the block's K/V cache on its bulk connection, between two jobs; the
///    coordinator forwards it to the destination, which installs it. Tokens keep being generated meanwhile, with
///    the source still holding and extending the block.
/// 2. Further stages copy the positions appended meanwhile (F16 rows), until few enough remain (or `maxStages`).
/// 3. At a token boundary the token loop pauses: the source sends the last rows, the destination appends them and
///    both report a checksum of the whole cache; only if they agree does the coordinator switch to the new
///    placement (new epoch) and tell the source to drop the block. Any failure before that leaves the block with
///    its source: nothing is lost, the move is abandoned and the destination's partial copy dropped.
///
/// Blocks without state (projection, FFN) need no copy: every device maps the whole model file.
struct Migrator {
    enum Phase { case idle, exporting, installing, copied }
    struct Move {
        var index: Int
        var block: Block
        var from: Int
        var to: Int
        var phase = Phase.idle
        var stage = 0
        /// Positions the destination holds.
        var copied = 0
        var bytes = 0
        var sourceChecksum: UInt64 = 0
        var exportedCount = 0
    }

    var target: Placement
    var moves: [Move]
    var reason: String
    /// Context length now (tokens in the caches), kept up to date by the token loop.
    var position: Int
    /// Per connection (device, bulk), the moves awaiting a reply there, in request order.
    var awaiting: [Int: [Int]] = [:]

    init(from current: Placement, to target: Placement, layout: BlockLayout, reason: String, position: Int) {
        self.target = target
        self.reason = reason
        self.position = position
        moves = target.moved(from: current).compactMap { b in
            guard layout.blocks[b].isAttention else { return nil }
            return Move(index: b, block: layout.blocks[b], from: current[b], to: target[b])
        }
    }
}

extension Coordinator {
    /// Starts moving to `target` (unless a move is already under way).
    func beginMigration(to target: Placement, reason: String, position: Int) {
        guard migrator == nil, target != placement else { return }
        migrator = Migrator(from: placement, to: target, layout: costModel.layout, reason: reason, position: position)
        options.log("re-placement (\(reason)): \(target.moved(from: placement).count) blocks move, \(migrator!.moves.count) with K/V caches")
    }

    /// Advances the pending move at a token boundary; switches when every copy is close enough.
    /// - Parameter generated: tokens generated so far (the switch happens before the next one).
    func advanceMigration(generated: Int, position: Int) {
        guard var m = migrator else { return }
        m.position = position
        do {
            try pump(&m)
            if m.moves.allSatisfy({ $0.phase == .copied }) {
                let behind = m.moves.map { position - $0.copied }.max() ?? 0
                let stages = m.moves.map(\.stage).max() ?? 0
                if behind <= options.finalStagePositions || stages >= options.maxStages {
                    try finish(m, generated: generated, position: position)
                    migrator = nil
                    return
                }
                for i in m.moves.indices where position - m.moves[i].copied > options.finalStagePositions { m.moves[i].phase = .idle }
                try pump(&m)
            }
            migrator = m
        } catch {
            options.log("migration abandoned (\(error)); every block stays where it was")
            abandon(m)
            migrator = nil
        }
    }

    /// Sends what can be sent and takes what has arrived, without waiting.
    private func pump(_ m: inout Migrator) throws(RuntimeError) {
        for i in m.moves.indices where m.moves[i].phase == .idle {
            let mv = m.moves[i]
            let request = Message.export(sequence: sequence, block: mv.block, since: mv.copied == 0 ? nil : mv.copied)
            m.moves[i].phase = .exporting
            if mv.from == 0 {
                try take(local.handle(request), into: &m, move: i)
            } else {
                try connection(mv.from, bulk: true).send(request)
                m.awaiting[mv.from, default: []].append(i)
            }
        }
        // Replies that arrived, per bulk connection, in request order.
        for d in Array(m.awaiting.keys) {
            while let first = m.awaiting[d]?.first, let reply = try connection(d, bulk: true).receive(timeout: 0) {
                m.awaiting[d]!.removeFirst()
                try take(reply, into: &m, move: first)
            }
        }
    }

    /// Handles an `exported` or `installed` reply for move `i`.
    private func take(_ reply: Message, into m: inout Migrator, move i: Int) throws(RuntimeError) {
        let mv = m.moves[i]
        switch reply {
        case .exported(let count, let sum, let snapshot, let bytes):
            m.moves[i].exportedCount = count
            m.moves[i].sourceChecksum = sum
            m.moves[i].bytes += bytes.count
            m.moves[i].phase = .installing
            let request = Message.install(sequence: sequence, block: mv.block, snapshot: snapshot, bytes: bytes)
            if mv.to == 0 {
                try take(local.handle(request), into: &m, move: i)
            } else {
                try connection(mv.to, bulk: true).send(request)
                m.awaiting[mv.to, default: []].append(i)
            }
        case .installed(let count, _):
            guard count == mv.exportedCount else {
                throw RuntimeError(.migrationFailed, "block \(mv.block): \(infos[mv.to].name) holds \(count) positions after the copy, \(infos[mv.from].name) sent \(mv.exportedCount)")
            }
            m.moves[i].copied = count
            m.moves[i].stage += 1
            m.moves[i].phase = .copied
        case .failure(let code, let text):
            throw RuntimeError(RuntimeError.Code(code), text)
        default:
            throw RuntimeError(.badFrame, "unexpected reply during the migration of \(mv.block)")
        }
    }

    /// A synchronous request on a device's bulk connection (device 0: handled here).
    private func bulkCall(_ d: Int, _ message: Message) throws(RuntimeError) -> Message {
        if d == 0 {
            let r = local.handle(message)
            if case .failure(let code, let text) = r { throw RuntimeError(RuntimeError.Code(code), text) }
            return r
        }
        return try connection(d, bulk: true).call(message, timeout: options.timeout)
    }

    /// Sends `requests` (one per move, to the given device's bulk connection, or handled here for device 0) all at
    /// once and returns their replies in the same order: the devices work in parallel and each connection's replies
    /// come back in request order, so a switch of many blocks costs about one round trip per step, not one per block.
    private func bulkAll(_ requests: [(device: Int, message: Message)]) throws(RuntimeError) -> [Message] {
        var replies = [Message?](repeating: nil, count: requests.count)
        for r in requests where r.device != 0 { try connection(r.device, bulk: true).send(r.message) }
        for (i, r) in requests.enumerated() where r.device == 0 { replies[i] = local.handle(r.message) }
        for (i, r) in requests.enumerated() where r.device != 0 {
            replies[i] = try connection(r.device, bulk: true).reply(timeout: options.timeout)
        }
        return try replies.map { (m) throws(RuntimeError) -> Message in
            if case .failure(let code, let text) = m! { throw RuntimeError(RuntimeError.Code(code), text) }
            return m!
        }
    }

    /// The final copy and the switch; the token loop stands still meanwhile (the pause). The last rows of every
    /// moving block are fetched from the sources at once, installed at the destinations at once, and checked.
    private func finish(_ m: Migrator, generated: Int, position: Int) throws(RuntimeError) {
        let t0 = monotonicSeconds()
        let exports = try bulkAll(m.moves.map { ($0.from, .export(sequence: sequence, block: $0.block, since: $0.copied)) })
        var installs: [(device: Int, message: Message)] = []
        var sent: [(count: Int, sum: UInt64, bytes: Int)] = []
        for (mv, reply) in zip(m.moves, exports) {
            guard case .exported(let count, let sum, let snapshot, let bytes) = reply else {
                throw RuntimeError(.badFrame, "\(infos[mv.from].name) answered an export with something else")
            }
            installs.append((mv.to, .install(sequence: sequence, block: mv.block, snapshot: snapshot, bytes: bytes)))
            sent.append((count, sum, bytes.count))
        }
        let installed = try bulkAll(installs)
        var finals: [(Migrator.Move, Int)] = []
        for (i, mv) in m.moves.enumerated() {
            guard case .installed(let got, let destSum) = installed[i] else {
                throw RuntimeError(.badFrame, "\(infos[mv.to].name) answered an install with something else")
            }
            guard got == sent[i].count, destSum == sent[i].sum else {
                throw RuntimeError(.migrationFailed, "block \(mv.block): checksum \(String(destSum, radix: 16)) at \(infos[mv.to].name) ≠ \(String(sent[i].sum, radix: 16)) at \(infos[mv.from].name) (\(got)/\(sent[i].count) positions)")
            }
            finals.append((mv, mv.bytes + sent[i].bytes))
        }
        commit(m.target, fromToken: generated, position: TokenPosition(promptLength: 0, generated: position))
        let pause = monotonicSeconds() - t0
        _ = try? bulkAll(finals.map { ($0.0.from, .drop(sequence: sequence, block: $0.0.block)) })
        for (mv, bytes) in finals {
            report.migrations.append(RunReport.Migration(
                block: costModel.layout.name(of: mv.index), from: infos[mv.from].name, to: infos[mv.to].name, bytes: bytes,
                stages: mv.stage + 1, pause_ms: pause * 1e3, token: generated, reason: m.reason))
        }
        options.log(String(format: "switched to epoch %d before token %d: %d caches moved, pause %.2f ms", epoch, generated, finals.count, pause * 1e3))
    }

    /// Drops partial copies at the destinations (the sources never let go).
    private func abandon(_ m: Migrator) {
        // Read replies still outstanding so the bulk connections stay in step.
        for (d, pending) in m.awaiting { for _ in pending { _ = try? connection(d, bulk: true).receive(timeout: options.timeout) } }
        for mv in m.moves { _ = try? bulkCall(mv.to, .drop(sequence: sequence, block: mv.block)) }
    }
}
