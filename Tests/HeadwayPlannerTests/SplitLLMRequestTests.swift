import HeadwayCore
import HeadwayPlanner
import Testing

@Suite struct SplitLLMRequestTests {
    let server = SplitLLMDevice(
        name: "edge", compute: FLOPsPerSecond(gigaflops: 50_000), memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 300))
    let laptop = SplitLLMDevice(
        name: "laptop", compute: FLOPsPerSecond(gigaflops: 4_000), memoryBandwidth: BytesPerSecond(gigabytesPerSecond: 100),
        memory: Bytes(gigabytes: 8))
    let link = SplitLLMLink(uplinkMbps: 50, downlinkMbps: 200, latencyMilliseconds: 5)

    func request(_ shape: ModelShape, prompt: Int, output: Int, sla: Double = 10) -> SplitLLMRequest {
        SplitLLMRequest(
            shape: shape, promptLength: prompt, outputLength: output, client: laptop, server: server, link: link,
            sla: Seconds(sla))
    }

    /// Sum of a layer's block FLOPs at one context length, straight from DecodeCostModel.
    func layerFLOPs(_ shape: ModelShape, context: Int) -> Double {
        let m = DecodeCostModel(shape: shape)
        return m.layout.indices(ofLayer: 0).reduce(0.0) {
            $0 + m.demand(of: $1, at: TokenPosition(promptLength: 0, generated: context - 1)).flops.value
        }
    }

    @Test func unitsAndWorkFollowTheDecodeCostModel() throws {
        let shape = ModelShape.smolLM2_135M
        let c = try request(shape, prompt: 8, output: 3).costs()
        #expect(c.count == shape.layerCount + 2)
        #expect(c.units.first?.name == "embedding" && c.units.last?.name == "lm_head" && c.units[1].name == "L0")
        // Prefill: per-token FLOPs at contexts 1…8 (linear, so n·mean of the ends); then decode steps at 9 and 10.
        let expected = 8 * (layerFLOPs(shape, context: 1) + layerFLOPs(shape, context: 8)) / 2
            + layerFLOPs(shape, context: 9) + layerFLOPs(shape, context: 10)
        #expect(abs(c.units[1].serverWork.value - expected) <= 1e-9 * expected)
        let head = DecodeCostModel(shape: shape).lmHeadDemand
        #expect(abs(c.units.last!.serverWork.value - 3 * head.flops.value) <= 1e-9 * head.flops.value)
        #expect(c.units[0].serverWork == .zero)
        // Hidden state crossing: one latency per pass (3), 8 + 2 tokens of d·4 bytes.
        let hidden = Double(shape.modelDim) * 4
        let up = 3 * 0.005 + 10 * hidden / link.uplink.value
        #expect(abs(c.upload[5].value - up) <= 1e-12)
        #expect(abs(c.wrapDownload.value - 2 * (0.005 + 4 / link.downlink.value)) <= 1e-12)
        #expect(c.units[1].clientWeights.value > 0 && c.units[1].clientTime > c.units[1].serverTime)
    }

    @Test func decodeIsBandwidthBoundAndPrefillComputeBound() throws {
        let shape = ModelShape.llama3_2_1B
        // Long prompt, one output token: prefill only. The layer time on the server is its FLOPs over compute.
        let p = try request(shape, prompt: 1024, output: 1).costs()
        #expect(abs(p.units[1].serverTime.value - p.units[1].serverWork.value / server.compute.value)
            <= 1e-9 * p.units[1].serverTime.value)
        // One-token prompt, many outputs: decode dominates and streams the weights once per token.
        let d = try request(shape, prompt: 1, output: 101).costs()
        let weights = d.units[1].clientWeights.value
        let streamed = 100 * weights / server.memoryBandwidth.value
        #expect(d.units[1].serverTime.value >= streamed && d.units[1].serverTime.value < 1.1 * streamed)
    }

    @Test func serverOnlyLatencyIsTheAllServerChain() throws {
        let r = request(.llama3_2_1B, prompt: 256, output: 32)
        let c = try r.costs()
        let total = c.inputUpload.value + c.units.reduce(0.0) { $0 + $1.serverTime.value } + c.resultDownload.value
        #expect(abs(try r.serverOnlyLatency().value - total) <= 1e-12 * total)
    }

    @Test func plannersRespectTheSLAOnARealModel() throws {
        for (shape, prompt, output) in [(ModelShape.smolLM2_135M, 512, 32), (.llama3_2_1B, 1024, 8), (.llama3_8B, 256, 16)] {
            var r = request(shape, prompt: prompt, output: output)
            r.sla = try r.serverOnlyLatency() * 1.5
            let all = try SplitLLMPlanner(.serverOnly).decide(r)
            let dp = try SplitLLMPlanner(.dp).decide(r)
            let exact = try SplitLLMPlanner(.exact).decide(r)
            #expect(dp.accepted && exact.accepted && all.accepted)
            #expect(dp.latency! <= r.sla && exact.latency! <= r.sla)
            #expect(dp.serverWork! <= all.serverWork! && exact.serverWork! <= dp.serverWork!)
            #expect(dp.clientWeights! <= laptop.memory!)
            for s in [SplitLLMPlanner.Strategy.greedy, .greedyRatio, .singleCut] {
                let b = try SplitLLMPlanner(s).decide(r)
                #expect(b.accepted && exact.serverWork! <= b.serverWork!, "\(shape.name) \(s)")
            }
        }
    }

    @Test func invalidRequestsNameTheValue() {
        var r = request(.smolLM2_135M, prompt: 0, output: 4)
        #expect(throws: PlannerError.self) { try r.costs() }
        r.promptLength = 4
        r.link.uplink = BytesPerSecond(0)
        do {
            _ = try r.costs()
            Issue.record("zero uplink accepted")
        } catch {
            #expect(error.message.contains("uplink"))
        }
    }
}
