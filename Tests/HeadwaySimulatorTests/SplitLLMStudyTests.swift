import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

@Suite struct SplitLLMStudyTests {
    func smallStudy() -> SplitLLMStudyConfiguration {
        SplitLLMStudyConfiguration(
            simulation: smallSplitLLMConfiguration(requests: 300),
            planners: ["server-only", "greedy", "greedy-ratio", "single-cut", "dp"], loadFactor: 0.9,
            sweep: [0.5, 1.0, 2.0])
    }

    @Test func studyOrdersPlannersAndEncodesTheRequiredKeys() throws {
        let r = try SplitLLMStudy.run(smallStudy())
        let w = r.meanServerWork
        #expect(w["dp"]! <= w["greedy"]! + 1e-6 && w["greedy"]! <= w["server-only"]! + 1e-6)
        #expect(w["dp"]! <= w["greedy-ratio"]! + 1e-6 && w["dp"]! <= w["single-cut"]! + 1e-6)
        #expect(r.serverWorkloadReduction > 0 && r.serverWorkloadReduction < 1)
        #expect(r.serverWorkloadReduction >= r.greedyWorkloadReduction)
        #expect(r.maxSustainableRps["dp"]! >= r.maxSustainableRps["server-only"]!)
        #expect(r.sweep.count == 5 * 3 && r.decisions.count == 5 * 2 * 2)
        #expect(r.rejected.values.allSatisfy { $0 == 0 })
        let json = try r.json()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        for key in ["server_workload_reduction", "improvement_over_greedy", "sla_violations", "rejected", "throughput_rps",
                    "max_sustainable_rps", "mean_server_work", "planners", "configuration", "sweep"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect((object["sla_violations"] as? [String: Int])?["dp"] == 0, "the DP never violates an SLA it accepted")
        #expect((object["sla_violations_under_load"] as? [String: Int])?["dp"] != nil)
        #expect((object["configuration"] as? [String: Any])?["simulation"] != nil)
    }

    @Test func renderersShowEveryPlanner() throws {
        let r = try SplitLLMStudy.run(smallStudy())
        let table = r.renderTable()
        let html = r.renderHTML()
        for p in ["server-only", "greedy", "greedy-ratio", "single-cut", "dp"] {
            #expect(table.contains(p) && html.contains(p))
        }
        #expect(table.contains("server workload reduction"))
        #expect(html.contains("<svg") && html.contains("<polyline") && html.contains("<style>") && html.hasSuffix("</html>\n"))
    }

    @Test func studyRejectsMissingPlanners() {
        var c = smallStudy()
        c.planners = ["dp", "greedy"]
        #expect(throws: PlannerError.self) { try SplitLLMStudy.run(c) }
        c.planners = ["dp", "greedy", "server-only", "magic"]
        #expect(throws: PlannerError.self) { try SplitLLMStudy.run(c) }
    }
}
