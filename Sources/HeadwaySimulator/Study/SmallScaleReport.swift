import Foundation

/// Text and HTML renderings of a `SmallScaleStudyResult`.
extension SmallScaleStudyResult {
    /// A plain-text table: per planner, ratio to the optimum (mean / p95 / max), decision time, failures; then the
    /// same per device count and for the multi-layer case.
    public func table() -> String {
        var out = "Small-scale study: cost model \(costModel), model \(model), devices \(devices.map(String.init).joined(separator: ",")), "
            + "\(instancesPerSize) instances per size, positions \(positions.map(String.init).joined(separator: ",")), seed \(seed)\n\n"
        let all = SmallScaleGroup(model: model, instances: instancesPerSize * devices.count, ratiosToOptimal: ratiosToOptimal,
            decisionTimeMs: decisionTimeMs, decisions: decisions, failures: failures, skipped: skipped, unscored: unscored)
        out += Self.rows(title: "all sizes", planners: planners, all)
        for n in devices {
            guard let g = byDevices[String(n)] else { continue }
            out += "\n" + Self.rows(title: "\(n) devices", planners: planners, g)
        }
        if let m = multiLayer {
            out += "\n" + Self.rows(title: "multi-layer (\(m.model), \(m.instances) instances)", planners: planners, m)
        }
        return out + "\nn = decisions scored against the optimum; decided = decisions asked; failed = no feasible placement "
            + "(the planner is dropped for the instance's later positions: skipped); unscored = no proven optimum.\n"
    }

    static func rows(title: String, planners: [String], _ g: SmallScaleGroup) -> String {
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            s.count >= w ? s : (left ? s + String(repeating: " ", count: w - s.count) : String(repeating: " ", count: w - s.count) + s)
        }
        func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
        var out = "\(title)\n"
        out += pad("planner", 26, left: true) + pad("ratio mean", 12) + pad("p95", 9) + pad("max", 9) + pad("n", 6)
            + pad("time ms mean", 14) + pad("p95", 10) + pad("max", 10) + pad("decided", 9) + pad("failed", 8)
            + pad("skipped", 9) + pad("unscored", 10) + "\n"
        for p in planners {
            let r = g.ratiosToOptimal[p] ?? SmallScaleSummary([])
            let t = g.decisionTimeMs[p] ?? SmallScaleSummary([])
            out += pad(p, 26, left: true) + pad(f(r.mean, 4), 12) + pad(f(r.p95, 4), 9) + pad(f(r.max, 4), 9)
                + pad(String(r.count), 6) + pad(f(t.mean, 3), 14) + pad(f(t.p95, 3), 10) + pad(f(t.max, 3), 10)
                + pad(String(g.decisions[p] ?? 0), 9) + pad(String(g.failures[p] ?? 0), 8)
                + pad(String(g.skipped[p] ?? 0), 9) + pad(String(g.unscored[p] ?? 0), 10) + "\n"
        }
        return out
    }

    /// A self-contained HTML page: the tables and an inline SVG bar chart of mean and p95 ratios per planner.
    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var body = "<h1>Small-scale study: \(esc(costModel)) cost model</h1>\n"
        body += "<p>Model \(esc(model)); devices \(devices.map(String.init).joined(separator: ", ")); "
            + "\(instancesPerSize) seeded instances per size; token positions \(positions.map(String.init).joined(separator: ", ")); "
            + "seed \(seed). Ratio = planner objective (latency + migration) / proven optimum of the same request.</p>\n"
        body += chart(ratiosToOptimal, title: "All sizes: ratio to optimum")
        body += htmlTable(title: "All sizes", SmallScaleGroup(model: model, instances: instancesPerSize * devices.count,
            ratiosToOptimal: ratiosToOptimal, decisionTimeMs: decisionTimeMs, decisions: decisions, failures: failures,
            skipped: skipped, unscored: unscored))
        for n in devices {
            guard let g = byDevices[String(n)] else { continue }
            body += htmlTable(title: "\(n) devices", g)
        }
        if let m = multiLayer {
            body += chart(m.ratiosToOptimal, title: "Multi-layer (\(esc(m.model))): ratio to optimum")
            body += htmlTable(title: "Multi-layer (\(esc(m.model)), \(m.instances) instances)", m)
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Headway small-scale study (\(esc(costModel)))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            th { background: #f3f3f3; }
            </style></head><body>
            \(body)</body></html>

            """
    }

    private func htmlTable(title: String, _ g: SmallScaleGroup) -> String {
        var s = "<h2>\(title)</h2>\n<table><tr><th>planner</th><th>ratio mean</th><th>p95</th><th>max</th><th>n</th>"
            + "<th>time ms mean</th><th>p95</th><th>max</th><th>decided</th><th>failed</th><th>skipped</th><th>unscored</th></tr>\n"
        for p in planners {
            let r = g.ratiosToOptimal[p] ?? SmallScaleSummary([])
            let t = g.decisionTimeMs[p] ?? SmallScaleSummary([])
            s += "<tr><td>\(p)</td><td>\(String(format: "%.4f", r.mean))</td><td>\(String(format: "%.4f", r.p95))</td>"
                + "<td>\(String(format: "%.4f", r.max))</td><td>\(r.count)</td><td>\(String(format: "%.3f", t.mean))</td>"
                + "<td>\(String(format: "%.3f", t.p95))</td><td>\(String(format: "%.3f", t.max))</td>"
                + "<td>\(g.decisions[p] ?? 0)</td><td>\(g.failures[p] ?? 0)</td><td>\(g.skipped[p] ?? 0)</td>"
                + "<td>\(g.unscored[p] ?? 0)</td></tr>\n"
        }
        return s + "</table>\n"
    }

    /// Horizontal bars of the mean (dark) and p95 (light) ratio per planner, with a line at 1 (the optimum).
    private func chart(_ ratios: [String: SmallScaleSummary], title: String) -> String {
        let rowHeight = 34.0
        let left = 120.0
        let width = 520.0
        let top = max(1.0, planners.compactMap { ratios[$0]?.p95 }.max() ?? 1) * 1.05
        let scale = width / top
        let height = Double(planners.count) * rowHeight + 40
        var s = "<h2>\(title)</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + width + 80))\" height=\"\(Int(height))\">\n"
        for (i, p) in planners.enumerated() {
            let r = ratios[p] ?? SmallScaleSummary([])
            let y = 10 + Double(i) * rowHeight
            s += "<text x=\"\(left - 8)\" y=\"\(y + 18)\" text-anchor=\"end\" font-size=\"13\">\(p)</text>\n"
            s += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(String(format: "%.1f", r.p95 * scale))\" height=\"12\" fill=\"#9ecae1\"><title>p95 \(String(format: "%.4f", r.p95))</title></rect>\n"
            s += "<rect x=\"\(left)\" y=\"\(y + 15)\" width=\"\(String(format: "%.1f", r.mean * scale))\" height=\"12\" fill=\"#3182bd\"><title>mean \(String(format: "%.4f", r.mean))</title></rect>\n"
            s += "<text x=\"\(String(format: "%.1f", left + r.p95 * scale + 4))\" y=\"\(y + 20)\" font-size=\"11\">\(String(format: "%.3f", r.mean)) / \(String(format: "%.3f", r.p95))</text>\n"
        }
        let one = left + scale
        s += "<line x1=\"\(String(format: "%.1f", one))\" y1=\"5\" x2=\"\(String(format: "%.1f", one))\" y2=\"\(Int(height - 25))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n"
        s += "<text x=\"\(String(format: "%.1f", one))\" y=\"\(Int(height - 10))\" text-anchor=\"middle\" font-size=\"11\">1 = optimum</text>\n"
        s += "<text x=\"\(left)\" y=\"\(Int(height - 10))\" font-size=\"11\">dark: mean, light: p95</text>\n"
        return s + "</svg>\n"
    }
}
