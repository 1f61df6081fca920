import Foundation

/// A self-contained HTML page for a simulation report: the summary table and SVG plots of per-token latency,
/// cumulative latency and peak device memory.
public enum SimulationHTML {
    public static func render(_ report: SimulationReport) -> String {
        let names = report.planners.map(\.planner)
        let latency = SVGChart.lines(
            title: "Per-token latency (mean over seeds of the steps that ran; migration and restarts included)",
            series: report.planners.map { .init(name: $0.planner, values: $0.latencyCurve.map { $0 * 1000 }) },
            xLabel: "generated token", yLabel: "latency (ms)", logY: true,
            failures: report.planners.map(\.failedTokens), restarts: report.planners.map(\.restartTokens))
        let cumulative = SVGChart.lines(
            title: "Cumulative latency (prefill + all tokens so far)",
            series: report.planners.map { .init(name: $0.planner, values: $0.cumulativeLatencyCurve) },
            xLabel: "generated token", yLabel: "seconds")
        let memory = SVGChart.lines(
            title: "Largest memory used on one device",
            series: report.planners.map { .init(name: $0.planner, values: $0.peakMemoryCurve.map { $0 / 1e6 }) },
            xLabel: "generated token", yLabel: "MB")
        let bars = SVGChart.bars(
            title: "Mean per-token latency", labels: names,
            values: report.planners.map { $0.meanLatencyAcrossSeeds.mean * 1000 }, unit: "ms")
        return page(
            title: "Headway simulation: \(report.scenario)",
            body: summary(report) + "\(bars)\(latency)\(cumulative)\(memory)")
    }

    /// The settings line and the per-planner table, as HTML.
    static func summary(_ report: SimulationReport) -> String {
        var out = "<p>model \(SVGChart.escape(report.model)), cost model \(report.costModel), \(report.devices.count) devices, "
        out += "prompt \(report.promptLength) tokens, \(report.tokens) generated, re-plan every \(report.replanInterval) "
        out += "token(s), seeds \(report.seeds.map(String.init).joined(separator: ", ")).</p>"
        let header = [
            "planner", "total s", "mean ms", "±95% ms", "p50 ms", "p95 ms", "prefill ms", "failed steps", "restarts",
            "migrations", "moved MB", "local MB", "peak mem MB",
        ]
        let rows = report.planners.map { p in
            [
                p.planner, p.totalTime.isFinite ? String(format: "%.2f", p.totalTime) : "failed",
                ms(p.meanLatencyAcrossSeeds.mean), ms(p.meanLatencyAcrossSeeds.ci95), ms(p.latency.p50), ms(p.latency.p95),
                ms(p.prefill.mean), String(p.infeasibleSteps), String(p.restarts), String(p.migrations),
                String(format: "%.1f", p.migrationBytes / 1e6), String(format: "%.1f", p.migrationLocalBytes / 1e6),
                String(format: "%.1f", p.peakMemory / 1e6),
            ]
        }
        out += HTMLTable.render(header: header, rows: rows, numeric: Set(1..<header.count))
        out += "<p>total s: mean over seeds of prefill + every step, migrations, rebuilds and restarts included "
        out += "(\"failed\": some seed had a step no placement could run). moved MB crossed links; local MB are weights "
        out += "read from a local copy.</p>"
        return out
    }

    /// Wraps a body into a minimal styled page.
    public static func page(title: String, body: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(SVGChart.escape(title))</title>
        <style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;\
        overflow-x:auto}svg{display:block;margin:1.5em 0}\(HTMLTable.style)</style></head>
        <body><h1>\(SVGChart.escape(title))</h1>\(body)</body></html>

        """
    }
}
