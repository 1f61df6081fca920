import HeadwayCore
import HeadwayRuntime
import Testing

@Suite struct ScheduleTests {
    static let shape = ModelShape.smolLM2_135M
    static let layout = BlockLayout(shape: shape)

    @Test func everythingOnOneDeviceIsOneRoundTrip() {
        let s = Schedule(placement: Placement(blockCount: Self.layout.count, allOn: 2), layout: Self.layout)
        #expect(s.rounds.count == 1)
        #expect(s.rounds[0].count == 1 && s.rounds[0][0].device == 2)
        #expect(s.rounds[0][0].steps.count == 3 * Self.layout.layerCount)
    }

    @Test func aLayerSplitPipelineIsOneRoundPerStage() {
        var p = Placement(blockCount: Self.layout.count, allOn: 0)
        for l in 10..<20 { for b in Self.layout.indices(ofLayer: l) { p[b] = 1 } }
        for l in 20..<30 { for b in Self.layout.indices(ofLayer: l) { p[b] = 2 } }
        let s = Schedule(placement: p, layout: Self.layout)
        #expect(s.rounds.map { $0.map(\.device) } == [[0], [1], [2]])
    }

    @Test func splitHeadsFanOutThenProject() {
        var p = Placement(blockCount: Self.layout.count, allOn: 0)
        p[Self.layout.attentionIndex(layer: 0, group: 1)] = 1
        p[Self.layout.attentionIndex(layer: 0, group: 2)] = 2
        let s = Schedule(placement: p, layout: Self.layout)
        #expect(s.rounds.count == 2)
        #expect(s.rounds[0].map(\.device) == [0, 1, 2])
        #expect(s.rounds[0].allSatisfy { $0.emitsHeads })
        #expect(s.rounds[1][0].needsHeads && s.rounds[1][0].device == 0)
        // Layers 1... ride along with layer 0's projection on device 0.
        #expect(s.rounds[1][0].steps.count == 2 + 3 * (Self.layout.layerCount - 1))
    }
}
