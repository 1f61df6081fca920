import Foundation

/// Text and CSV renderings of a simulation report.
public enum SimulationTable {
    /// One row per planner: latency statistics (ms), infeasible steps, migrations, peak memory, planning time.
    public static func render(_ report: SimulationReport) -> String {
        var out = "scenario: \(report.scenario)\n"
        out += "model: \(report.model), cost model: \(report.costModel), devices: \(report.devices.count), "
        out += "prompt: \(report.promptLength) tokens, generated: \(report.tokens) tokens, "
        out += "re-plan every \(report.replanInterval) token(s), seeds: \(report.seeds.map(String.init).joined(separator: ","))\n\n"
        let header = [
            "planner", "total s", "mean ms", "±95% ms", "p50 ms", "p95 ms", "prefill ms", "failed steps", "restarts",
            "migrations", "moved MB", "local MB", "peak mem MB", "plan ms (p50)",
        ]
        let rows = report.planners.map { p in
            [
                p.planner, p.totalTime.isFinite ? String(format: "%.2f", p.totalTime) : "failed",
                ms(p.meanLatencyAcrossSeeds.mean), ms(p.meanLatencyAcrossSeeds.ci95), ms(p.latency.p50),
                ms(p.latency.p95), ms(p.prefill.mean), String(p.infeasibleSteps), String(p.restarts), String(p.migrations),
                String(format: "%.1f", p.migrationBytes / 1e6), String(format: "%.1f", p.migrationLocalBytes / 1e6),
                String(format: "%.1f", p.peakMemory / 1e6),
                String(format: "%.3f", p.planTimeMilliseconds.p50),
            ]
        }
        out += table(header: header, rows: rows)
        out += "\ntotal s: mean over seeds of prefill + every step (migrations, rebuilds, restarts included); \"failed\": some "
        out += "seed had a step no placement could run. failed steps: steps that could not run (out of memory, or no "
        out += "device left for a block). moved MB: bytes over links; local MB: weights read locally (not in moved MB).\n"
        return out
    }

    /// Every step of every run: planner, seed, token, latencies, migrations, feasibility, peak device memory.
    public static func csv(_ report: SimulationReport) -> String {
        var out = "planner,seed,token,replanned,feasible,latency_s,inference_latency_s,migration_delay_s,"
        out += "communication_s,migrations,migration_bytes,peak_device_memory_bytes,plan_s,restarted,restart_delay_s,"
        out += "migration_local_bytes,horizon_tokens\n"
        for run in report.runs ?? [] {
            for r in run.records {
                let fields: [String] = [
                    run.planner, String(run.seed), String(r.token), r.replanned ? "1" : "0", r.feasible ? "1" : "0",
                    num(r.latency), num(r.inferenceLatency), num(r.migrationDelay), num(r.communication),
                    String(r.migrations), num(r.migrationBytes), num(r.memory.max() ?? 0), num(r.planSeconds),
                    r.restarted ? "1" : "0", num(r.restartDelay), num(r.migrationLocalBytes),
                    r.horizonTokens.map(String.init) ?? "",
                ]
                out += fields.joined(separator: ",") + "\n"
            }
        }
        return out
    }

    static func num(_ x: Double) -> String { x.isFinite ? "\(x)" : (x.isNaN ? "nan" : "inf") }
}

/// Milliseconds with 3 decimals, or "inf"/"n/a".
public func ms(_ seconds: Double) -> String {
    if seconds.isNaN { return "n/a" }
    return seconds.isFinite ? String(format: "%.3f", seconds * 1000) : "inf"
}

/// A plain-text table: the first column (and those in `leftAligned`) left-aligned, the others right-aligned.
public func table(header: [String], rows: [[String]], leftAligned: Set<Int> = []) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
            return i == 0 || leftAligned.contains(i) ? c + pad : pad + c
        }.joined(separator: "  ")
    }
    var out = line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for r in rows { out += line(r) + "\n" }
    return out
}
