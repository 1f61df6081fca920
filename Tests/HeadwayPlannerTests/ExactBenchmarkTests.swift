import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct ExactBenchmarkTests {
    /// Runs the benchmark on one instance per case with a short limit: every key is present and the small cases are
    /// solved to optimality.
    @Test func benchmarkRuns() throws {
        let r = ExactBenchmark.run(instances: 1, timeLimit: .seconds(2))
        print("BENCH", r.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\nBENCH "))
        #expect(r["exact.reference.1layer.8heads.5dev_optimal"] == 1)
        #expect(r["exact.decode.1layer.8groups.5dev.prev_optimal"] == 1)
        #expect(r["headway.decode.smollm2.30layers.25dev_ms"] != nil)
        #expect(r.values.allSatisfy { $0.isFinite && $0 >= 0 })
    }
}
