import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// Values that once ended in a trap or an unbounded allocation (issue 12): each is now either accepted or a clear
/// error naming the file, the field and the value.
@Suite struct BadScenarioValueTests {
    let loader = ScenarioLoader(plannerNames: Set(PlannerRegistry.names))

    static let base = """
        model: smollm2-135m
        cluster:
          devices:
            - {id: a, memory_gb: 4, compute_gflops: 20}
            - {id: b, memory_gb: 2, compute_gflops: 10}
          full_mesh: {bandwidth_gbps: 1}
        planners: [greedy]
        tokens: 3
        """

    func load(_ text: String) throws -> Scenario { try loader.load(text: text, file: "bad.yaml") }

    func message(_ text: String) -> String? {
        do {
            _ = try load(text)
            return nil
        } catch let e as CoreError {
            return e.message
        } catch {
            return "unexpected \(type(of: error)): \(error)"
        }
    }

    @Test(arguments: [
        ("tokens: 3", "tokens: 1e14", ["bad.yaml", "'tokens'", "100000000000000", "1048576"]),
        ("tokens: 3", "tokens: 9223372036854775807", ["bad.yaml", "'tokens'", "9223372036854775807"]),
        ("tokens: 3", "tokens: 1e300", ["bad.yaml", "'tokens'", "64-bit"]),
        ("tokens: 3", "tokens: 3\nprompt_length: 1e12", ["bad.yaml", "'prompt_length'", "1000000000000"]),
        ("tokens: 3", "tokens: 3\nrepetitions: 1e9", ["bad.yaml", "'repetitions'", "1000000000"]),
        ("tokens: 3", "tokens: 3\ncost_model: {kind: reference, sequence_length: 1e15}", ["bad.yaml", "sequence_length", "1000000000000000"]),
        ("model: smollm2-135m", "model: {preset: smollm2-135m, layers: 1e9}", ["bad.yaml", "layers", "1000000000"]),
        ("model: smollm2-135m",
         "model: {layers: 2, model_dim: 9223372036854775807, heads: 1, ffn_dim: 64, vocab_size: 10}",
         ["bad.yaml", "model_dim", "9223372036854775807"]),
        ("cluster:\n  devices:\n    - {id: a, memory_gb: 4, compute_gflops: 20}\n    - {id: b, memory_gb: 2, compute_gflops: 10}\n  full_mesh: {bandwidth_gbps: 1}",
         "cluster: {generate: {devices: 1e8}}", ["bad.yaml", "cluster.generate.devices", "100000000"]),
    ])
    func hugeValuesAreNamedErrors(_ c: (String, String, [String])) {
        let text = Self.base.replacingOccurrences(of: c.0, with: c.1)
        #expect(text != Self.base)
        guard let m = message(text) else { Issue.record("\(c.1) was accepted"); return }
        for part in c.2 { #expect(m.contains(part), "'\(m)' should mention '\(part)'") }
    }

    @Test func largestSeedWithRepetitionsIsAccepted() throws {
        let s = try load(Self.base + "\nseed: 9223372036854775807\nrepetitions: 2")
        #expect(s.seeds == [UInt64(Int.max), UInt64(Int.max) + 1])
    }

    @Test func tooManySeedsAreRefused() {
        let seeds = (0...SimulationSettings.maxSeeds).map(String.init).joined(separator: ", ")
        let m = message(Self.base + "\nseeds: [\(seeds)]")
        #expect(m?.contains("'seeds'") == true && m?.contains("\(SimulationSettings.maxSeeds + 1)") == true, "\(m ?? "accepted")")
    }

    @Test func runnerRefusesSettingsBeyondTheLimits() throws {
        var s = try load(Self.base)
        s.settings.tokens = SimulationSettings.maxTokens + 1
        #expect(throws: CoreError.self) {
            _ = try ScenarioRunner.run(s, makePlanner: { try PlannerRegistry.planner(named: $0.name, options: $0.options) })
        }
    }

    @Test func deepNestingIsRefusedBeforeParsing() {
        for text in [String(repeating: "[", count: 100_000), String(repeating: "- ", count: 50_000) + "x",
                     "a:\n" + (1...300).map { String(repeating: " ", count: $0) + "b\($0):" }.joined(separator: "\n")] {
            let m = message(text)
            #expect(m?.contains("bad.yaml") == true && m?.contains("nests") == true, "\(m ?? "accepted")")
        }
    }

    @Test func aliasExpansionIsBounded() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1...9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        let m = message(lines.joined(separator: "\n"))
        #expect(m?.contains("bad.yaml") == true && m?.contains("expands") == true, "\(m ?? "accepted")")
    }

    @Test func listOrMappingAsAKeyIsAnError() {
        for text in ["? [a, b]\n: c", "{[1]: 2}", "x: [{a: 1} : b]", "!!set {[a]: b}"] {
            let m = message(text)
            #expect(m?.contains("bad.yaml") == true && m?.contains("key") == true, "\(text): \(m ?? "accepted")")
        }
    }

    @Test func baseSixtyIntegersAreRefused() {
        // YAML 1.1 reads 1111111111111111111:20 as a base-60 integer; its conversion used to overflow and trap.
        for text in ["tokens: 1111111111111111111:20", "x: !!int 99999999999999:59:59"] {
            let m = message(text)
            #expect(m?.contains("bad.yaml") == true && m?.contains("base-60") == true, "\(text): \(m ?? "accepted")")
        }
    }

    @Test func filesNamedByAScenarioMustBeSmallRegularFiles() {
        let m = message(Self.base.replacingOccurrences(of: "model: smollm2-135m", with: "model: {config: /dev/zero}"))
        #expect(m?.contains("bad.yaml") == true && m?.contains("/dev/zero") == true && m?.contains("not a regular file") == true,
                "\(m ?? "accepted")")
    }
}
