import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

@Suite struct SmallScaleStudyTests {
    static let small = SmallScaleStudy.Configuration(
        devices: [3, 4], instancesPerSize: 4, positions: [0, 100, 500], seed: 11, multiLayerInstances: 2, multiLayerLayers: 2)

    @Test(arguments: [CostModelKind.decode, .reference]) func ratiosAreRelativeToTheOptimum(_ kind: CostModelKind) throws {
        var config = Self.small
        config.costModel = kind
        let r = try SmallScaleStudy.run(config)
        #expect(r.planners == SmallScaleStudy.plannerNames)
        // The exact planner defines the optimum (its own row is 1 by construction): it must answer every request,
        // and no planner may beat it on any decision.
        let exact = try #require(r.ratiosToOptimal["exact"])
        #expect(exact.count == 2 * 4 * 3 && r.failures["exact"] == 0 && r.unscored.values.allSatisfy { $0 == 0 })
        for (name, s) in r.ratiosToOptimal where s.count > 0 && name != "exact" {
            #expect(s.min >= 1 - 1e-9, "\(name) beats the proven optimum: \(s)")
            #expect(s.mean >= s.min && s.max >= s.mean - 1e-12 && s.max >= s.p95 - 1e-12, "\(name): \(s)")
        }
        // Every decision is accounted for: scored, failed, unscored, or skipped after a failure.
        for name in r.planners {
            let scored = r.ratiosToOptimal[name]!.count
            #expect(r.decisions[name]! + r.skipped[name]! == 24, "\(name)")
            #expect(scored + r.failures[name]! + r.unscored[name]! == r.decisions[name]!, "\(name): \(scored) scored")
        }
        #expect(r.byDevices.keys.sorted() == ["3", "4"])
        #expect(r.multiLayer?.ratiosToOptimal["exact"]?.count == 2 * 2 * 3)
        // Same seed, same ratios.
        let again = try SmallScaleStudy.run(config)
        #expect(again.ratiosToOptimal == r.ratiosToOptimal)
    }

    @Test func outputsHaveTheAgreedShape() throws {
        let r = try SmallScaleStudy.run(SmallScaleStudy.Configuration(
            devices: [3], instancesPerSize: 2, costModel: .reference, positions: [0, 100], multiLayerInstances: 0))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        for key in ["devices", "instances_per_size", "cost_model", "ratios_to_optimal", "decision_time_ms", "by_devices"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let ratios = json["ratios_to_optimal"] as! [String: [String: Any]]
        #expect(Set(ratios.keys) == Set(SmallScaleStudy.plannerNames))
        #expect(ratios["headway"]!["p95"] is Double)
        #expect(json["cost_model"] as? String == "reference")
        let decoded = try JSONDecoder().decode(SmallScaleStudyResult.self, from: JSONEncoder().encode(r))
        #expect(decoded == r)
        let table = r.table()
        for name in SmallScaleStudy.plannerNames { #expect(table.contains(name)) }
        #expect(table.contains("3 devices"))
        let html = r.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("</html>"))
        #expect(html.components(separatedBy: "<rect").count - 1 == 2 * SmallScaleStudy.plannerNames.count)
    }

    /// The full study (3, 4, 5 devices × 50 instances, both cost models); set HEADWAY_SMALL_SCALE_FULL=1 to run it.
    /// Writes table, JSON and HTML to $TMPDIR and checks headway's goal: within 5% of the optimum on average and
    /// never worse than 20%.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HEADWAY_SMALL_SCALE_FULL"] != nil),
          arguments: [CostModelKind.decode, .reference])
    func fullStudy(_ kind: CostModelKind) throws {
        let r = try SmallScaleStudy.run(SmallScaleStudy.Configuration(costModel: kind))
        let dir = FileManager.default.temporaryDirectory
        try r.table().write(to: dir.appendingPathComponent("small-scale-\(kind.rawValue).txt"), atomically: true, encoding: .utf8)
        try r.html().write(to: dir.appendingPathComponent("small-scale-\(kind.rawValue).html"), atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(r).write(to: dir.appendingPathComponent("small-scale-\(kind.rawValue).json"))
        print(r.table())
        let headway = try #require(r.ratiosToOptimal["headway"])
        #expect(headway.mean <= 1.05, "\(headway)")
        #expect(headway.max <= 1.20, "\(headway)")
        #expect(r.failures["headway"] == 0)
    }
}
