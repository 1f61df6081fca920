import Foundation

/// A self-contained HTML page for a simulation report: the summary table and SVG plots of per-token latency,
/// cumulative latency and peak device memory.
public enum SimulationHTML {
    public static func render(_ report: SimulationReport) -> String {
        let names = report.planners.map(\.planner)
        let latency = SVGChart.lines(
            title: "Per-token latency (mean over seeds, inference + migration)",
            series: report.planners.map { .init(name: $0.planner, values: $0.latencyCurve.map { $0 * 1000 }) },
            xLabel: "generated token", yLabel: "latency (ms)")
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
            body: "<pre>\(SVGChart.escape(SimulationTable.render(report)))</pre>\(bars)\(latency)\(cumulative)\(memory)")
    }

    /// Wraps a body into a minimal styled page.
    public static func page(title: String, body: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(SVGChart.escape(title))</title>
        <style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;\
        overflow-x:auto}svg{display:block;margin:1.5em 0}</style></head>
        <body><h1>\(SVGChart.escape(title))</h1>\(body)</body></html>

        """
    }
}
