import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// CI-sized versions of the README's headline claims (seconds each, in `swift test -c release`). Each runs the same
/// code as its `headway study` command on fewer instances, tokens, seeds or requests, with bounds set from the full
/// runs quoted in the README so that a regression in a planner, the cost model or a study shows up here.
@Suite struct HeadlineClaimTests {
    /// `headway study small-scale` (and `--cost-model reference`): headway within 5% of the proven optimum on
    /// average and never worse than 20%, on 3-5 devices, with every decision scored.
    @Test(arguments: [CostModelKind.decode, .reference])
    func smallScaleHeadwayIsNearTheOptimum(_ kind: CostModelKind) throws {
        let r = try SmallScaleStudy.run(SmallScaleStudy.Configuration(
            devices: [3, 4, 5], instancesPerSize: 8, costModel: kind, multiLayerInstances: 2,
            planners: ["headway", "resource-aware"]))
        let headway = try #require(r.ratiosToOptimal["headway"])
        print("small-scale \(kind.rawValue) CI: headway \(headway), resource-aware \(r.ratiosToOptimal["resource-aware"]!)")
        #expect(headway.count == 3 * 8 * 3, "every decision scored: \(headway.count)")
        #expect(r.failures["headway"] == 0 && r.skipped["headway"] == 0 && r.unscored["headway"] == 0)
        // The README's claim is mean <= 1.05 and max <= 1.20; the full runs give means <= 1.003 and a worst case of
        // 1.105, so tighter bounds catch a regression long before the claim breaks.
        #expect(headway.mean <= 1.01, "\(headway)")
        #expect(headway.max <= 1.12, "\(headway)")
        let multi = try #require(r.multiLayer?.ratiosToOptimal["headway"])
        #expect(multi.count == 3 * 2 * 3 && multi.mean <= 1.01 && multi.max <= 1.12, "\(multi)")
        // The paper's algorithm with the paper's migration rule (full runs: 1.008 decode, 1.117 reference); with our
        // earlier over-budget rule it was 1.87 in decode.
        let ra = try #require(r.ratiosToOptimal["resource-aware"])
        #expect(ra.count == 72 && ra.mean >= 1 - 1e-9)
        #expect(ra.mean <= (kind == .decode ? 1.03 : 1.20), "\(ra)")
    }

    /// `headway study medium-scale` on 25 devices, shortened to 60 tokens and 2 seeds: with caches sized for the
    /// run, EdgeShard is slower than headway, Galaxy with its FFN split over its group is faster, and Galaxy with
    /// each FFN whole on one device matches headway.
    @Test func mediumScaleAgainstEdgeShardAndGalaxy() throws {
        let tokens = 60
        let run = Double(2048 + tokens)
        let config = MediumScaleStudy.Configuration(tokens: tokens, seeds: [1, 2], planners: [
            PlannerSpec(name: "headway"),
            PlannerSpec(name: "edgeshard", label: "edgeshard-kvmax", options: ["kv_tokens": run]),
            PlannerSpec(name: "galaxy", label: "galaxy-kvmax", options: ["kv_tokens": run]),
            PlannerSpec(name: "galaxy", label: "galaxy-kvmax-whole-ffn", options: ["kv_tokens": run, "split_ffn": 0]),
        ])
        let r = try MediumScaleStudy.run(config)
        func ratio(_ name: String) -> Double { r.planners[name]!.commonTotalRatio ?? .nan }
        print("medium-scale CI: edgeshard-kvmax \(ratio("edgeshard-kvmax")), galaxy-kvmax \(ratio("galaxy-kvmax")), "
            + "whole-ffn \(ratio("galaxy-kvmax-whole-ffn"))")
        for name in r.plannerOrder {
            #expect(r.planners[name]!.oomSteps == 0 && r.planners[name]!.tokensProduced == Double(tokens), "\(name)")
        }
        #expect(ratio("edgeshard-kvmax") >= 1.12, "EdgeShard sized for the run vs headway")
        #expect(ratio("galaxy-kvmax") <= 0.65, "Galaxy with its FFN split vs headway")
        #expect(abs(ratio("galaxy-kvmax-whole-ffn") - 1) <= 0.05, "Galaxy with whole FFNs vs headway")
    }

    /// `headway study splitllm` on its default setting with 400 requests instead of 2000: the DP reduces the server
    /// workload, by more than greedy prefix offload, and never breaks an SLA it accepted.
    @Test func splitLLMReductionAndNoBrokenSLA() throws {
        var c = SplitLLMStudyConfiguration.default
        c.simulation.requestCount = 400
        c.planners = ["server-only", "greedy", "dp"]
        c.sweep = [0.9]
        let r = try SplitLLMStudy.run(c)
        print("splitllm CI: dp \(r.serverWorkloadReduction), greedy \(r.greedyWorkloadReduction), violations \(r.slaViolations)")
        #expect(r.serverWorkloadReduction >= 0.035 && r.serverWorkloadReduction <= 0.06, "\(r.serverWorkloadReduction)")
        #expect(r.serverWorkloadReduction >= 1.2 * r.greedyWorkloadReduction)
        #expect(r.slaViolations["dp"] == 0 && r.slaViolations["greedy"] == 0)
    }
}
