import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// The churn study's headline, on its full default setting (10 seeds, 400 tokens; about 2 s in release builds).
@Suite struct ChurnStudyTests {
    static let result = Result { try ChurnStudy.run(.default) }

    @Test func headwayWithItsHorizonIsFastestAndNeverLosesToTheMyopicRule() throws {
        let r = try Self.result.get()
        let headway = try #require(r.row("headway"))
        let myopic = try #require(r.row("headway-myopic"))
        // Measured 47.5 s against 61.9 s (myopic) and 83.4 s (the best of the others, resource-aware).
        #expect(headway.totalTimeMean <= 0.85 * myopic.totalTimeMean, "headway \(headway.totalTimeMean) s, myopic \(myopic.totalTimeMean) s")
        let others = r.rows.filter { !$0.planner.hasPrefix("headway") }
        let best = try #require(others.map(\.totalTimeMean).min())
        #expect(headway.totalTimeMean <= 0.7 * best, "headway \(headway.totalTimeMean) s, best other \(best) s")
        // Seed by seed, weighing moves over the remaining tokens costs at most a little more than the one-token rule
        // (measured: within 1% in the seeds where it is slower, where a move paid back less than the horizon
        // promised; 20-50% faster in others).
        for (a, b) in zip(headway.totalTimePerSeed, myopic.totalTimePerSeed) { #expect(a <= b * 1.01, "\(a) vs \(b)") }
    }

    /// The forecast and the margin (which stop headway chasing per-token fluctuations in the medium-scale study) do not
    /// leave it stuck after departures and slowdowns: its time stays that of the earlier rule (today's speeds, no
    /// margin), and its tail far below the myopic rule's, which stays on the controller.
    @Test func paybackRuleDoesNotGetStuck() throws {
        let r = try Self.result.get()
        let headway = try #require(r.row("headway"))
        let earlier = try #require(r.row("headway-no-forecast"))
        let myopic = try #require(r.row("headway-myopic"))
        // Measured 47.5 s against 47.6 s; p95 171 ms against 343 ms (myopic).
        #expect(headway.totalTimeMean <= earlier.totalTimeMean * 1.005, "\(headway.totalTimeMean) vs \(earlier.totalTimeMean)")
        #expect(headway.p95 <= 0.6 * myopic.p95, "p95 \(headway.p95) vs myopic \(myopic.p95)")
    }

    @Test func everyStepCountsAndPlacedOncePlannersRestart() throws {
        let r = try Self.result.get()
        #expect(r.rows.count == ChurnStudy.planners.count)
        for row in r.rows {
            // Every planner gets through every seed (restarting if it must), so every total is finite.
            #expect(row.failedSteps == 0 && row.totalTimeMean.isFinite, "\(row.planner)")
            #expect(row.totalTimePerSeed.count == 10)
        }
        for name in ["edgeshard", "galaxy"] {
            let row = try #require(r.row(name))
            #expect(row.restarts > 0, "\(name) plans once: a departure of one of its devices restarts the sequence")
        }
        for name in ["headway", "resource-aware", "round-robin"] { #expect(r.row(name)?.restarts == 0, "\(name) re-plans") }
        // Every seed has departures, rejoins and slowdowns.
        for seed in r.configuration.seeds {
            let kinds = Set((r.events[seed] ?? []).map(\.kind))
            #expect(kinds.isSuperset(of: ["leave", "join", "slow"]), "seed \(seed): \(kinds)")
        }
    }

    @Test func renderingsCarryTheNumbers() throws {
        let r = try Self.result.get()
        let html = r.renderHTML()
        #expect(html.contains("<table>") && html.contains("<svg") && html.contains("log scale"))
        #expect(!html.contains("e+0"), "no exponent tick labels")
        let json = try r.json()
        #expect(json.contains("\"total_time_s\"") && json.contains("\"restarts\""))
        #expect(r.renderTable().contains("headway-myopic"))
    }
}
