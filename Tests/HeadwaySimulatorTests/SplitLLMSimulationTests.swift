import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// A small mix that runs fast: two models, two client classes.
func smallSplitLLMConfiguration(requests: Int = 400, seed: UInt64 = 7, rate: Double = 5) -> SplitLLMSimulationConfiguration {
    let server = SplitLLMDevice(name: "edge", compute: FLOPsPerSecond(gigaflops: 20_000), memoryBandwidth: BytesPerSecond(200e9))
    let laptop = SplitLLMClientClass(
        name: "laptop",
        device: SplitLLMDevice(name: "laptop", compute: FLOPsPerSecond(gigaflops: 5_000), memoryBandwidth: BytesPerSecond(100e9),
            memory: Bytes(gigabytes: 8)),
        link: SplitLLMLink(uplinkMbps: 100, downlinkMbps: 300, latencyMilliseconds: 3))
    let pi = SplitLLMClientClass(
        name: "pi",
        device: SplitLLMDevice(name: "pi", compute: FLOPsPerSecond(gigaflops: 50), memoryBandwidth: BytesPerSecond(10e9)),
        link: SplitLLMLink(uplinkMbps: 50, downlinkMbps: 100, latencyMilliseconds: 2))
    let types = [
        SplitLLMRequestType(name: "smol", model: "smollm2-135m", promptLength: 256, outputLength: 32, sla: .factor(2)),
        SplitLLMRequestType(name: "1b", model: "llama-3.2-1b", promptLength: 1024, outputLength: 4, sla: .factor(1.5)),
    ]
    return SplitLLMSimulationConfiguration(
        requestTypes: types, clientClasses: [laptop, pi], server: server, arrivalRate: rate, requestCount: requests, seed: seed)
}

@Suite struct SplitLLMSimulationTests {
    @Test func sameSeedSameResultDifferentSeedDifferentArrivals() throws {
        let a = try SplitLLMServerSimulation(smallSplitLLMConfiguration()).run(SplitLLMPlanner(.dp), arrivalRate: 40)
        let b = try SplitLLMServerSimulation(smallSplitLLMConfiguration()).run(SplitLLMPlanner(.dp), arrivalRate: 40)
        let c = try SplitLLMServerSimulation(smallSplitLLMConfiguration(seed: 8)).run(SplitLLMPlanner(.dp), arrivalRate: 40)
        #expect(a == b)
        #expect(a.latency != c.latency)
    }

    @Test func lightLoadMatchesThePlannersEstimateAndHeavyLoadViolates() throws {
        let sim = try SplitLLMServerSimulation(smallSplitLLMConfiguration())
        let planner = SplitLLMPlanner(.serverOnly)
        let d = try sim.decisions(planner)
        let saturation = sim.configuration.server.compute.value / sim.expectedServerWork(d)
        let light = try sim.run(decisions: d, planner: "server-only", arrivalRate: saturation * 0.001)
        #expect(light.slaViolationsUnderLoad == 0 && light.slaViolations == 0 && light.rejected == 0)
        #expect(abs(light.latency.p50 - light.unloadedLatency.p50) <= 1e-6 * light.unloadedLatency.p50)
        let heavy = try sim.run(decisions: d, planner: "server-only", arrivalRate: saturation * 2)
        #expect(heavy.slaViolationsUnderLoad > heavy.accepted / 2)
        #expect(heavy.slaViolations == 0, "queueing is not the planner's promise")
        #expect(heavy.utilisation > 1.9 && heavy.utilisation < 2.1)
        #expect(heavy.throughputRps < heavy.arrivalRate * 0.8)
        #expect(heavy.latency.p95 > heavy.unloadedLatency.p95 * 2)
    }

    @Test func serverWorkIsConservedAndMatchesDecisions() throws {
        let sim = try SplitLLMServerSimulation(smallSplitLLMConfiguration(requests: 200))
        let planner = SplitLLMPlanner(.dp)
        let d = try sim.decisions(planner)
        let o = try sim.run(decisions: d, planner: "dp", arrivalRate: 1)
        #expect(o.accepted + o.rejected == o.requests)
        // Mean work per request converges to the mix expectation.
        let expected = sim.expectedServerWork(d)
        #expect(abs(o.meanServerWork - expected) <= 0.25 * expected)
        #expect(abs(o.maxSustainableRps - sim.configuration.server.compute.value / expected) <= 1e-9 * o.maxSustainableRps)
    }

    @Test func unmeetableSLAsAreRejectedNotViolated() throws {
        var config = smallSplitLLMConfiguration(requests: 100)
        config.requestTypes[1].sla = .absolute(Seconds(1e-4))
        let sim = try SplitLLMServerSimulation(config)
        for s in [SplitLLMPlanner.Strategy.dp, .greedy, .serverOnly] {
            let o = try sim.run(SplitLLMPlanner(s), arrivalRate: 1)
            #expect(o.rejected > 20 && o.rejected < 80, "\(s): \(o.rejected) rejected")
            #expect(o.slaViolations == 0 && o.slaViolationsUnderLoad == 0, "\(s)")
            #expect(o.accepted + o.rejected == 100)
        }
    }

    @Test func invalidConfigurationsNameTheValue() {
        var config = smallSplitLLMConfiguration()
        config.requestTypes[0].model = "gpt-9"
        do {
            _ = try SplitLLMServerSimulation(config)
            Issue.record("unknown model accepted")
        } catch {
            #expect(error.message.contains("gpt-9"))
        }
        config = smallSplitLLMConfiguration()
        config.requestTypes[0].sla = SplitLLMSLA(factor: 1.5, seconds: 2)
        #expect(throws: PlannerError.self) { try SplitLLMServerSimulation(config) }
        config = smallSplitLLMConfiguration(rate: -1)
        #expect(throws: PlannerError.self) { try SplitLLMServerSimulation(config) }
    }
}
