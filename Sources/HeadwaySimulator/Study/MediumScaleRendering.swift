import Foundation

extension MediumScaleResult {
    /// One row per planner: latency, memory, OOM and migrations.
    public func renderTable() -> String {
        func opt(_ v: Double?, _ f: (Double) -> String) -> String { v.map(f) ?? "-" }
        let rows = plannerOrder.compactMap { name -> [String]? in
            guard let p = planners[name] else { return nil }
            return [
                name, opt(p.meanLatency, ms), opt(p.p95Latency, ms), opt(p.latencyRatio) { String(format: "%.2fx", $0) },
                String(format: "%.1f", p.totalLatency), String(format: "%.0f", p.tokensProduced),
                String(format: "%.0f", p.commonTokens), String(format: "%.1f", p.commonTotalLatency),
                opt(p.commonTotalRatio) { String(format: "%.2fx", $0) }, opt(p.meanPrefill) { String(format: "%.0f", $0) }, String(format: "%.2f", p.peakMemoryGB),
                String(format: "%.2f", p.meanPeakMemoryGB), "\(p.oomSteps)", "\(p.oomSeeds)/\(seeds.count)",
                opt(p.meanFirstOOMToken) { String(format: "%.0f", $0) }, "\(p.migrations)",
                String(format: "%.2f", p.migrationGBPerSeed), String(format: "%.2f", p.migrationDelay / Double(max(seeds.count, 1))),
            ]
        }
        let header = "medium-scale: \(model), \(devices) devices, prompt \(promptLength), \(tokens) tokens, "
            + "\(seeds.count) seeds, re-planned every token\(serializedSends ? ", one message at a time per network interface" : "")"
            + " (\(String(format: "%.0f", runSeconds)) s to run)\n"
        return header + table(
            header: ["planner", "mean ms", "p95 ms", "vs first", "total s", "tokens", "common", "common s", "common vs first", "prefill s", "peak GiB", "mean peak GiB", "OOM steps", "OOM seeds",
                     "first OOM", "migrations", "moved GB/seed", "migration s/seed"],
            rows: rows)
            + "mean/p95 over feasible steps; total = sum of feasible decode steps, mean over seeds (prefill apart); "
            + "tokens = feasible steps per seed; common = tokens both this planner and the first produced (per seed), "
            + "common s = this planner's latency over them, common vs first = its ratio to the first planner's over the same tokens; "
            + "OOM = the placement in force does not fit (planned-once planners keep it) or no placement was found.\n"
    }

    /// A page with the table and SVG plots: per-token latency, cumulative latency, memory over tokens, peak memory
    /// per device, OOM events.
    public func renderHTML() -> String {
        let names = plannerOrder.filter { planners[$0] != nil }
        let latency = SVGChart.lines(
            title: "Per-token latency (mean over seeds of feasible steps; log scale)",
            series: names.map { .init(name: $0, values: planners[$0]!.latencyCurve.map { ($0 ?? .nan) * 1000 }) },
            xLabel: "generated token", yLabel: "latency (ms)", logY: true)
        let cumulative = SVGChart.lines(
            title: "Cumulative decode latency (feasible steps so far, mean over seeds; prefill excluded)",
            series: names.map { .init(name: $0, values: planners[$0]!.cumulativeLatencyCurve) },
            xLabel: "generated token", yLabel: "seconds")
        let oom = SVGChart.lines(
            title: "Out-of-memory events: seeds whose step is infeasible, per token (of \(seeds.count))",
            series: names.map { .init(name: $0, values: planners[$0]!.oomCurve.map(Double.init)) },
            xLabel: "generated token", yLabel: "seeds out of memory")
        let memory = SVGChart.lines(
            title: "Largest memory on one device over the run (mean over seeds)",
            series: names.map { .init(name: $0, values: planners[$0]!.peakMemoryCurveGB) },
            xLabel: "generated token", yLabel: "GiB")
        let perDevice = SVGChart.lines(
            title: "Peak memory per device index (max over tokens and seeds; device 0 = controller)",
            series: names.map { .init(name: $0, values: planners[$0]!.peakMemoryPerDeviceGB) },
            xLabel: "device index", yLabel: "GiB")
        let meanBars = SVGChart.bars(
            title: "Mean per-token latency (feasible steps)", labels: names,
            values: names.map { (planners[$0]!.meanLatency ?? .nan) * 1000 }, unit: "ms")
        let oomBars = SVGChart.bars(
            title: "Out-of-memory steps (all seeds)", labels: names,
            values: names.map { Double(planners[$0]!.oomSteps) }, unit: "steps")
        let peakBars = SVGChart.bars(
            title: "Peak memory on one device", labels: names, values: names.map { planners[$0]!.peakMemoryGB }, unit: "GiB")
        let body = "<pre>\(SVGChart.escape(renderTable()))</pre>" + meanBars + latency + cumulative + oomBars + oom
            + peakBars + memory + perDevice
        return SimulationHTML.page(title: "Headway medium-scale study: \(model), \(devices) devices", body: body)
    }
}
