import CGLPK
import HeadwayCore
import HeadwayPlanner

/// A small mixed-integer linear program and its solution by GLPK (C API: 1-based arrays, terminal output off).
struct MILPModel {
    enum Kind { case binary, continuous }
    struct Column { var kind: Kind; var lower: Double; var upper: Double; var cost: Double }
    /// `Σ coefficients ≥ lower` (or `≤ upper`, or `= both`).
    struct Row { var terms: [(Int, Double)]; var lower: Double?; var upper: Double? }
    var columns: [Column] = []
    var rows: [Row] = []
    var objectiveConstant = 0.0

    mutating func column(_ kind: Kind, cost: Double, lower: Double = 0, upper: Double = 1) -> Int {
        columns.append(Column(kind: kind, lower: lower, upper: upper, cost: cost))
        return columns.count - 1
    }
    mutating func atLeast(_ terms: [(Int, Double)], _ value: Double) { rows.append(Row(terms: terms, lower: value, upper: nil)) }
    mutating func atMost(_ terms: [(Int, Double)], _ value: Double) { rows.append(Row(terms: terms, lower: nil, upper: value)) }
    mutating func equal(_ terms: [(Int, Double)], _ value: Double) { rows.append(Row(terms: terms, lower: value, upper: value)) }

    /// Solves with GLPK's branch and cut; nil when infeasible.
    func solve() -> (objective: Double, values: [Double])? {
        glp_term_out(GLP_OFF)
        let lp = glp_create_prob()!
        defer { glp_delete_prob(lp) }
        glp_set_obj_dir(lp, GLP_MIN)
        glp_add_cols(lp, Int32(columns.count))
        for (j, c) in columns.enumerated() {
            let col = Int32(j + 1)
            switch c.kind {
            case .binary:
                glp_set_col_kind(lp, col, GLP_BV)
            case .continuous:
                glp_set_col_bnds(lp, col, c.upper.isFinite ? GLP_DB : GLP_LO, c.lower, c.upper.isFinite ? c.upper : 0)
            }
            glp_set_obj_coef(lp, col, c.cost)
        }
        glp_add_rows(lp, Int32(rows.count))
        var ia: [Int32] = [0]
        var ja: [Int32] = [0]
        var ar: [Double] = [0]
        for (i, r) in rows.enumerated() {
            let row = Int32(i + 1)
            switch (r.lower, r.upper) {
            case let (l?, u?): glp_set_row_bnds(lp, row, GLP_FX, l, u)
            case let (l?, nil): glp_set_row_bnds(lp, row, GLP_LO, l, 0)
            case let (nil, u?): glp_set_row_bnds(lp, row, GLP_UP, 0, u)
            default: glp_set_row_bnds(lp, row, GLP_FR, 0, 0)
            }
            var merged: [Int: Double] = [:]
            for (j, a) in r.terms { merged[j, default: 0] += a }
            for (j, a) in merged.sorted(by: { $0.key < $1.key }) where a != 0 {
                ia.append(row)
                ja.append(Int32(j + 1))
                ar.append(a)
            }
        }
        glp_load_matrix(lp, Int32(ia.count - 1), ia, ja, ar)
        // The LP relaxation first (GLPK's MIP presolver trips an assertion on some big-M rows).
        var smcp = glp_smcp()
        glp_init_smcp(&smcp)
        smcp.msg_lev = GLP_MSG_OFF
        guard glp_simplex(lp, &smcp) == 0, glp_get_status(lp) == GLP_OPT else { return nil }
        var parm = glp_iocp()
        glp_init_iocp(&parm)
        parm.presolve = GLP_OFF
        parm.msg_lev = GLP_MSG_OFF
        parm.mip_gap = 0
        guard glp_intopt(lp, &parm) == 0, glp_mip_status(lp) == GLP_OPT else { return nil }
        let values = (0..<columns.count).map { glp_mip_col_val(lp, Int32($0 + 1)) }
        return (glp_mip_obj_val(lp) + objectiveConstant, values)
    }
}

/// An independent MILP of one layer's myopic objective, with coefficients taken from the cost model's public API
/// (demands, execution times, transfer times and probes of `evaluate` / `migrationDelay`), not from the planner.
/// Variables x[b][d] (block b on device d). Times are in milliseconds for GLPK's tolerances.
enum MILPFormulation {
    static let scale = 1e3

    static func solve(_ r: PlanningRequest) -> (objective: Double, placement: Placement)? {
        let cm = r.costModel
        let state = r.state
        let n = state.count
        let G = cm.layout.groupsPerLayer
        precondition(cm.layout.layerCount == 1, "single-layer formulation")
        let B = G + 2
        let P = G
        let F = G + 1
        let demands = cm.demands(at: r.position)
        var m = MILPModel()
        // x[b][d]
        var x = Array(repeating: Array(repeating: 0, count: n), count: B)
        for b in 0..<B {
            for d in 0..<n {
                var cost = 0.0
                if let previous = r.previous, previous[b] != d, cm is ReferenceCostModel {
                    var next = previous
                    next[b] = d
                    cost = cm.migrationDelay(from: previous, to: next, on: state, at: r.position).value * scale
                }
                x[b][d] = m.column(.binary, cost: cost)
                if !state.online[d] { m.equal([(x[b][d], 1)], 0) }
            }
            m.equal((0..<n).map { (x[b][$0], 1.0) }, 1)
        }
        // Memory (and compute budget in the reference model).
        let controllerShare = cm.controllerMemory(at: r.position).value
        for d in 0..<n {
            let cap = state.memory[d].value - (d == state.cluster.controller ? controllerShare : 0)
            let unit = max(cap, 1)
            m.atMost((0..<B).map { (x[$0][d], demands[$0].memory.value / unit) }, cap / unit)
            if cm is ReferenceCostModel {
                let budget = state.compute[d].value
                m.atMost((0..<B).map { (x[$0][d], demands[$0].flops.value / budget) }, 1)
            }
        }
        let exec = { (b: Int, d: Int) in cm.executionTime(of: demands[b], on: d, in: state).value * scale }
        // w[d][e]: projection on d and FFN on e.
        var handoff = Array(repeating: 0.0, count: n * n)
        // Offline devices hold nothing (x = 0): their rows and costs are left out (their transfer times are infinite).
        let online = (0..<n).filter { state.online[$0] }
        for d in online {
            for e in online where d != e {
                var probe = Placement(blockCount: B, allOn: d)
                probe[F] = e
                // Reference: the probe's only communication is the handoff. Decode: the hidden state d → e.
                handoff[d * n + e] = cm is DecodeCostModel ? transfer(r, from: d, to: e)
                    : cm.evaluate(probe, on: state, at: r.position).communication.value * scale
                let w = m.column(.continuous, cost: handoff[d * n + e], upper: .infinity)
                m.atLeast([(w, 1), (x[P][d], -1), (x[F][e], -1)], -1)
            }
        }
        let z = m.column(.continuous, cost: 1, upper: .infinity)
        if cm is ReferenceCostModel {
            for d in online {
                m.columns[x[P][d]].cost += exec(P, d)
                m.columns[x[F][d]].cost += exec(F, d)
                // z ≥ heads on d × head time.
                m.atLeast([(z, 1)] + (0..<G).map { (x[$0][d], -exec(0, d)) }, 0)
                // u[d][e] ≥ (heads on d) − G·(1 − [P on e]): the gathers to the projection.
                for e in online where e != d {
                    var probe = Placement(blockCount: B, allOn: e)
                    probe[0] = d
                    let perHead = cm.evaluate(probe, on: state, at: r.position).communication.value * scale
                    let u = m.column(.continuous, cost: perHead, upper: .infinity)
                    m.atLeast([(u, 1), (x[P][e], -Double(G))] + (0..<G).map { (x[$0][d], -1.0) }, -Double(G))
                }
            }
        } else {
            let decode = cm as! DecodeCostModel
            let c = state.cluster.controller
            // Constant part: everything on the controller minus its block times.
            let allOnController = cm.evaluate(Placement(blockCount: B, allOn: c), on: state, at: r.position).latency.value * scale
            m.objectiveConstant = allOnController - Double(G) * exec(0, c) - exec(P, c) - exec(F, c)
            for d in online {
                m.columns[x[P][d]].cost += exec(P, d)
                m.columns[x[F][d]].cost += exec(F, d) + transfer(r, from: d, to: c)
                let a = m.column(.binary, cost: 0)
                for h in 0..<G { m.atLeast([(a, 1), (x[h][d], -1)], 0) }
                let send = transfer(r, from: c, to: d)
                // z ≥ send·a_d + heads on d × time (the projection on d: no gather).
                m.atLeast([(z, 1), (a, -send)] + (0..<G).map { (x[$0][d], -exec(0, d)) }, 0)
                for e in online where e != d {
                    let latency = state.pairLatency[d * n + e] * scale
                    let perGroup = decode.groupOutputBytes / state.pairBandwidth[d * n + e] * scale
                    let big = send + latency + Double(G) * (exec(0, d) + perGroup) + 1
                    // z ≥ send + time + latency + bytes/bw when a_d = 1 and the projection is on e.
                    m.atLeast([(z, 1), (a, -big), (x[P][e], -big)] + (0..<G).map { (x[$0][d], -(exec(0, d) + perGroup)) },
                        send + latency - 2 * big)
                }
                // The residual stream to the projection.
                if d != c { m.atLeast([(z, 1), (x[P][d], -transfer(r, from: c, to: d))], 0) }
            }
            // Migration: the busiest directed link plus the busiest device (sums of the moves' charges).
            if let previous = r.previous {
                let net = m.column(.continuous, cost: 1, upper: .infinity)
                let dev = m.column(.continuous, cost: 1, upper: .infinity)
                let base = MigrationLedger.deviceBase(state)
                var byResource: [Int: [(Int, Double)]] = [:]
                for b in 0..<B {
                    for d in online where d != previous[b] {
                        let c = decode.migrationCharges(ofBlock: b, from: previous[b], to: d, on: state, at: r.position)
                        var perResource: [Int: Double] = [:]
                        for charge in c.charges { perResource[charge.resource, default: 0] += charge.seconds * scale }
                        for (res, v) in perResource { byResource[res, default: []].append((x[b][d], -v)) }
                    }
                }
                for (res, terms) in byResource { m.atLeast([(res < base ? net : dev, 1)] + terms, 0) }
            }
        }
        guard let (objective, values) = m.solve() else { return nil }
        let placement = Placement(devices: (0..<B).map { b in (0..<n).max { values[x[b][$0]] < values[x[b][$1]] }! })
        return (objective / scale, placement)
    }

    /// Hidden-state transfer i → j in ms (decode model).
    static func transfer(_ r: PlanningRequest, from i: Int, to j: Int) -> Double {
        guard let decode = r.costModel as? DecodeCostModel else { return 0 }
        return r.state.transferTime(Bytes(decode.hiddenBytes), from: i, to: j).value * scale
    }
}
