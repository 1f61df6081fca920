import Foundation
public import HeadwayCore

/// The churn study's numbers per planner, the events of every seed, and the renderings.
public struct ChurnResult: Sendable {
    public struct Row: Sendable, Codable {
        public var planner: String
        /// Time to generate all tokens (prefill + every step, migrations, rebuilds, restarts), mean / max over seeds, s.
        public var totalTimeMean: Double
        public var totalTimeMax: Double
        public var totalTimePerSeed: [Double]
        /// Per-token latency over every step that ran, all seeds, milliseconds.
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var max: Double
        /// Steps that could not run, all seeds; seeds with such a step.
        public var failedSteps: Int
        public var failedSeeds: Int
        public var restarts: Int
        public var migrations: Int
        /// Bytes over links per seed (mean), GB; weights read locally per seed (mean), GB.
        public var movedGB: Double
        public var localGB: Double
        /// Migration, rebuild and restart time per seed (mean), s.
        public var migrationSeconds: Double

        enum CodingKeys: String, CodingKey {
            case planner, p50 = "p50_ms", p95 = "p95_ms", p99 = "p99_ms", max = "max_ms", restarts, migrations
            case totalTimeMean = "total_time_s", totalTimeMax = "total_time_max_s", totalTimePerSeed = "total_time_per_seed_s"
            case failedSteps = "failed_steps", failedSeeds = "failed_seeds", movedGB = "moved_gb_per_seed"
            case localGB = "local_gb_per_seed", migrationSeconds = "migration_and_restart_s_per_seed"
        }
    }

    public var report: SimulationReport
    public var configuration: ChurnStudy.Configuration
    public var events: [UInt64: [ChurnStudy.Event]]
    public var runSeconds: Double
    public var rows: [Row]

    public init(
        report: SimulationReport, configuration: ChurnStudy.Configuration, events: [UInt64: [ChurnStudy.Event]],
        runSeconds: Double
    ) {
        self.report = report
        self.configuration = configuration
        self.events = events
        self.runSeconds = runSeconds
        let seeds = Double(Swift.max(configuration.seeds.count, 1))
        rows = report.planners.map { p in
            let runs = (report.runs ?? []).filter { $0.planner == p.planner }
            let ran = runs.flatMap { $0.records.filter(\.feasible).map(\.latency) }.sorted()
            func pct(_ q: Double) -> Double { ran.isEmpty ? .nan : Summary.percentile(sorted: ran, q) * 1000 }
            let totals = runs.map(\.totalLatency)
            return Row(
                planner: p.planner, totalTimeMean: p.totalTime, totalTimeMax: totals.max() ?? .nan,
                totalTimePerSeed: totals, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: (ran.last ?? .nan) * 1000,
                failedSteps: p.infeasibleSteps, failedSeeds: runs.filter { $0.infeasibleSteps > 0 }.count,
                restarts: p.restarts, migrations: p.migrations, movedGB: p.migrationBytes / 1e9 / seeds,
                localGB: p.migrationLocalBytes / 1e9 / seeds,
                migrationSeconds: runs.reduce(0) { $0 + $1.records.reduce(0) { $0 + $1.migrationDelay + $1.restartDelay } } / seeds)
        }
    }

    public func row(_ planner: String) -> Row? { rows.first { $0.planner == planner } }

    var settingsLine: String {
        let c = configuration
        return "\(c.shape.name) on \(c.deviceCount) devices (typical edge mix, 0.1-1 Gbit/s full mesh, 1-5 ms), prompt "
            + "\(c.promptLength), \(c.tokens) tokens, re-plan every \(c.replanInterval), \(c.seeds.count) seeds; per seed "
            + "\(c.departures) scheduled departures + rejoins, churn p=\(c.churn.leaveProbability)/token (away "
            + "\(Int(c.churn.meanOfflineTokens)) tokens), \(c.slowdowns) link slowdowns of \(Int(c.slowdownFactor))x, "
            + "background load; weights served by the controller"
    }

    static let header = [
        "planner", "total s (mean)", "total s (max)", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed steps (seeds)",
        "restarts", "migrations", "moved GB/seed", "local GB/seed", "migration+restart s/seed",
    ]

    func cells(_ r: Row) -> [String] {
        func s(_ v: Double) -> String { v.isFinite ? String(format: "%.2f", v) : "failed" }
        func m(_ v: Double) -> String { v.isFinite ? String(format: "%.1f", v) : "n/a" }
        return [
            r.planner, s(r.totalTimeMean), s(r.totalTimeMax), m(r.p50), m(r.p95), m(r.p99), m(r.max),
            "\(r.failedSteps) (\(r.failedSeeds))", String(r.restarts), String(r.migrations), String(format: "%.2f", r.movedGB),
            String(format: "%.2f", r.localGB), String(format: "%.2f", r.migrationSeconds),
        ]
    }

    public func renderTable() -> String {
        var out = "churn study: \(settingsLine)\n\n"
        out += table(header: Self.header, rows: rows.map(cells))
        out += "\ntotal s: prefill + every step, migrations, cache rebuilds and restarts included (\"failed\": a seed had a "
        out += "step no placement could run). Latency percentiles over every step that ran, all seeds. moved GB crossed "
        out += "links; local GB are weights read from the holder's own memory.\n"
        out += String(format: "(%.1f s to run)\n", runSeconds)
        return out
    }

    public func json() throws -> String {
        struct Out: Encodable {
            var study = "churn"
            var settings: String
            var seeds: [UInt64]
            var tokens: Int
            var planners: [Row]
            var events: [String: [ChurnStudy.Event]]
            var runSeconds: Double
            enum CodingKeys: String, CodingKey { case study, settings, seeds, tokens, planners, events, runSeconds = "run_s" }
        }
        let out = Out(
            settings: settingsLine, seeds: configuration.seeds, tokens: configuration.tokens, planners: rows,
            events: Dictionary(uniqueKeysWithValues: events.map { (String($0.key), $0.value) }), runSeconds: runSeconds)
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(out), as: UTF8.self)
    }

    /// The table, total time per planner, and per seed the latency of every token on a log axis with the seed's
    /// events, failures and restarts marked.
    public func renderHTML(plotSeeds: Int = 3) -> String {
        var body = "<p>\(SVGChart.escape(settingsLine)).</p>"
        body += HTMLTable.render(header: Self.header, rows: rows.map(cells), numeric: Set(1..<Self.header.count))
        body += "<p>total s: prefill + every step, migrations, cache rebuilds and restarts included. Latency percentiles "
        body += "over every step that ran. moved GB crossed links; local GB are weights read locally.</p>"
        body += SVGChart.bars(
            title: "Time to generate \(configuration.tokens) tokens (mean over seeds)", labels: rows.map(\.planner),
            values: rows.map(\.totalTimeMean), unit: "s")
        for seed in configuration.seeds.prefix(plotSeeds) {
            let runs = (report.runs ?? []).filter { $0.seed == seed }
            let evs = events[seed] ?? []
            // Lines labelled by their number in the events table below (red: leave, green: join, orange: link slowed,
            // blue: link recovered).
            let markers = evs.enumerated().map { i, e -> SVGChart.Marker in
                let color = e.kind == "leave" ? "#c00" : e.kind == "join" ? "#080" : e.kind == "slow" ? "#c70" : "#06a"
                return SVGChart.Marker(x: e.token, label: String(i + 1), color: color)
            }
            body += SVGChart.lines(
                title: "Seed \(seed): per-token latency (inference + migration + restart)",
                series: runs.map { .init(name: $0.planner, values: $0.records.map { $0.feasible ? $0.latency * 1000 : .nan }) },
                xLabel: "generated token", yLabel: "latency (ms)", width: 980, height: 380, logY: true, events: markers,
                failures: runs.map { $0.records.filter { !$0.feasible }.map(\.token) },
                restarts: runs.map { $0.records.filter(\.restarted).map(\.token) })
            body += HTMLTable.render(
                header: ["#", "token", "event", "device or link"],
                rows: evs.enumerated().map { [String($0 + 1), String($1.token), $1.kind, $1.subject] },
                numeric: [0, 1], caption: "Seed \(seed): events (dashed lines; red leave, green join, orange link 10x slower, blue recovered)")
        }
        return SimulationHTML.page(title: "Headway: churn study", body: body)
    }
}
