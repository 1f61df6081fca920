import Foundation

/// Text and HTML renderings of a `SplitLLMStudyResult`.
extension SplitLLMStudyResult {
    private func fmt(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
    private func pct(_ x: Double) -> String { String(format: "%+.1f%%", x * 100) }
    private func share(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    private func pct(_ x: Double?) -> String { x.map { pct($0) } ?? "n/a" }
    private var plannerNames: [String] { planners.map(\.planner) }

    /// Headline lines shared by both renderings.
    private var headline: [(String, String)] {
        [
            ("server workload reduction (dp vs server-only)", share(serverWorkloadReduction)),
            ("greedy workload reduction (G1 vs server-only)", share(greedyWorkloadReduction)),
            ("improvement over greedy (relative, on that reduction)", pct(improvementOverGreedy.value)),
            ("server work saved over greedy", pct(workloadSavingOverGreedy)),
            ("saturation throughput gain over greedy", pct(throughputGainOverGreedy)),
            ("saturation throughput gain over server-only", pct(throughputGainOverServerOnly)),
            ("headline arrival rate (req/s)", fmt(configuration.simulation.arrivalRate)),
        ]
    }

    /// A fixed-width text table: headline numbers, then one row per planner.
    public func renderTable() -> String {
        var out = "SplitLLM study (\(configuration.simulation.requestCount) requests, seed \(configuration.simulation.seed))\n"
        for (k, v) in headline { out += "  \(k): \(v)\n" }
        let header = ["planner", "work/req GFLOP", "reduction", "max rps", "SLA cap rps", "rps", "rejected",
                      "SLA viol", "viol. w/ queue", "p50 s", "p95 s", "p99 s"]
        var rows: [[String]] = [header]
        for o in planners {
            rows.append([
                o.planner, fmt((meanServerWork[o.planner] ?? 0) / 1e9, 1), share(workloadReduction[o.planner] ?? 0),
                fmt(o.maxSustainableRps, 2), fmt(slaCapacityRps[o.planner] ?? 0, 2), fmt(o.throughputRps, 2),
                "\(o.rejected)", "\(o.slaViolations)", "\(o.slaViolationsUnderLoad)", fmt(o.latency.p50), fmt(o.latency.p95), fmt(o.latency.p99),
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for r in rows {
            out += r.enumerated().map { c, s in
                c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - s.count) + s
            }.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// A self-contained HTML report (inline CSS, two inline SVG charts: server work per planner, and throughput vs
    /// arrival rate).
    public func renderHTML() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        let colours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]
        var html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>SplitLLM study</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
            th:first-child,td:first-child{text-align:left}
            .note{color:#666;font-size:90%}
            </style></head><body>
            <h1>SplitLLM: server/client collaborative inference under an SLA</h1>

            """
        html += "<table>"
        for (k, v) in headline { html += "<tr><td>\(esc(k))</td><td>\(esc(v))</td></tr>" }
        html += "</table>\n<h2>Planners at the headline load</h2>\n<table><tr>"
        for h in ["planner", "work/req (GFLOP)", "max rps", "SLA-capacity rps", "throughput rps", "rejected", "SLA violations", "violations with queueing",
                  "p50 (s)", "p95 (s)", "p99 (s)"] { html += "<th>\(h)</th>" }
        html += "</tr>"
        for o in planners {
            html += "<tr><td>\(esc(o.planner))</td><td>\(fmt((meanServerWork[o.planner] ?? 0) / 1e9, 1))</td>"
                + "<td>\(fmt(o.maxSustainableRps, 2))</td><td>\(fmt(slaCapacityRps[o.planner] ?? 0, 2))</td>"
                + "<td>\(fmt(o.throughputRps, 2))</td><td>\(o.rejected)</td><td>\(o.slaViolations)</td><td>\(o.slaViolationsUnderLoad)</td>"
                + "<td>\(fmt(o.latency.p50))</td><td>\(fmt(o.latency.p95))</td><td>\(fmt(o.latency.p99))</td></tr>"
        }
        html += "</table>\n"

        // Chart 1: mean server work per request, per planner.
        let maxWork = planners.map { meanServerWork[$0.planner] ?? 0 }.max() ?? 1
        let barH = 26.0, labelW = 120.0, chartW = 460.0
        html += "<h2>Server work per request</h2>\n"
        html += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelW + chartW + 90))\" height=\"\(Int(Double(planners.count) * barH + 10))\">"
        for (i, o) in planners.enumerated() {
            let w = meanServerWork[o.planner] ?? 0
            let len = maxWork > 0 ? w / maxWork * chartW : 0
            let y = Double(i) * barH + 4
            html += "<text x=\"0\" y=\"\(fmt(y + 16, 1))\" font-size=\"13\">\(esc(o.planner))</text>"
            html += "<rect x=\"\(fmt(labelW, 1))\" y=\"\(fmt(y, 1))\" width=\"\(fmt(len, 1))\" height=\"\(fmt(barH - 6, 1))\" fill=\"\(colours[i % colours.count])\"/>"
            html += "<text x=\"\(fmt(labelW + len + 6, 1))\" y=\"\(fmt(y + 16, 1))\" font-size=\"12\">\(fmt(w / 1e9, 1)) GFLOP</text>"
        }
        html += "</svg>\n"

        // Chart 2: throughput vs arrival rate.
        let w = 560.0, h = 300.0, left = 50.0, bottom = 30.0
        let maxX = sweep.map(\.arrivalRate).max() ?? 1
        let maxY = max(sweep.map(\.throughputRps).max() ?? 1, 1e-9)
        func px(_ x: Double) -> Double { left + x / maxX * (w - left - 10) }
        func py(_ y: Double) -> Double { h - bottom - y / maxY * (h - bottom - 10) }
        html += "<h2>Throughput vs arrival rate</h2>\n"
        html += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w + 140))\" height=\"\(Int(h))\">"
        html += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w)\" y2=\"\(h - bottom)\" stroke=\"#444\"/>"
        html += "<line x1=\"\(left)\" y1=\"10\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#444\"/>"
        html += "<text x=\"\(w / 2)\" y=\"\(h - 5)\" font-size=\"12\">arrival rate (req/s), max \(fmt(maxX, 1))</text>"
        html += "<text x=\"2\" y=\"20\" font-size=\"12\">\(fmt(maxY, 1))</text>"
        for (i, name) in plannerNames.enumerated() {
            let pts = sweep.filter { $0.planner == name }.sorted { $0.arrivalRate < $1.arrivalRate }
            let path = pts.map { "\(fmt(px($0.arrivalRate), 1)),\(fmt(py($0.throughputRps), 1))" }.joined(separator: " ")
            let c = colours[i % colours.count]
            html += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\"\(path)\"/>"
            html += "<text x=\"\(w + 10)\" y=\"\(20 + i * 18)\" font-size=\"12\" fill=\"\(c)\">\(esc(name))</text>"
        }
        html += "</svg>\n"
        html += "<p class=\"note\">Server work: expected FLOPs per request over the mix. Throughput: requests completed "
            + "by the last arrival per second (processor-sharing server, capacity = server compute). SLA violations count "
            + "accepted requests whose split misses their SLA on an idle server (a broken promise); violations with "
            + "queueing count those that missed it once the server was shared; rejected requests had no split meeting "
            + "their SLA.</p>\n</body></html>\n"
        return html
    }
}
