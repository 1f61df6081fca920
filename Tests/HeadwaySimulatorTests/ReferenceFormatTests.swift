import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// The neutral scenario format of the authors' simulator, read from the fixtures, run end to end.
@Suite struct ReferenceFormatTests {
    static func fixture(_ name: String) throws -> (scenario: String, expected: [String: Any]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference-sim/\(name).json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var scenario = root["scenario"] as! [String: Any]
        scenario["algorithms"] = [["name": "greedy"], ["name": "round_robin"], ["name": "static"]]
        let data = try JSONSerialization.data(withJSONObject: scenario)
        return (String(decoding: data, as: UTF8.self), root["expected"] as! [String: Any])
    }

    @Test(arguments: ["g1-3-devices", "g2-4-devices"]) func greedyAndRoundRobinReproduceTheFixture(_ name: String) throws {
        let (text, expected) = try Self.fixture(name)
        let reference = try ReferenceScenario.load(text: text, file: "\(name).json", plannerNames: Set(PlannerRegistry.names))
        let report = try ScenarioRunner.run(
            reference.scenario, makePlanner: { try PlannerRegistry.planner(named: $0.name, options: $0.options) },
            keepRuns: true)
        let json = try JSONSerialization.jsonObject(with: reference.resultJSON(report)) as! [String: Any]
        let algorithms = json["algorithms"] as! [String: Any]
        for algorithm in ["greedy", "round_robin"] {
            let want = expected[algorithm] as! [String: Any]
            let steps = (algorithms[algorithm] as! [String: Any])["steps"] as! [[String: Any]]
            #expect(steps.count == reference.scenario.settings.tokens)
            for step in steps {
                let latency = step["latency_s"] as! Double
                let target = want["latency_s"] as! Double
                #expect(abs(latency - target) <= 1e-9 * target, "\(name) \(algorithm): \(latency) vs \(target)")
                #expect(step["assignment"] as! [String: String] == want["assignment"] as! [String: String])
                #expect(step["feasible"] as! Bool)
            }
        }
        let components = json["components_step0"] as! [String: [String: Double]]
        #expect(components["head_0"]!["flops"] == 67_108_864)
    }

    @Test func otherStateResetModesAreRejectedWithTheReason() throws {
        var (text, _) = try Self.fixture("g1-3-devices")
        text = text.replacingOccurrences(of: "\"full\"", with: "\"toy_optimal\"")
        #expect(throws: CoreError.self) {
            _ = try ReferenceScenario.load(text: text, file: "g1.json", plannerNames: Set(PlannerRegistry.names))
        }
    }
}
