import HeadwayCore
import Testing

/// `DecodeCostModel` against values worked out by hand from its documented formulas (not from the code), on a model
/// small enough to do so: one layer, d = 8, 4 query heads in 2 K/V groups of head dim 2, FFN 16 (gated), vocabulary
/// 10, weights 1 byte per element, K/V 2 bytes, activations 4 bytes.
@Suite struct DecodeCostModelTests {
    static let shape = ModelShape(
        name: "tiny", layerCount: 1, modelDim: 8, headCount: 4, kvHeadCount: 2, headDim: 2, ffnDim: 16, gatedFFN: true,
        vocabSize: 10, tiedEmbeddings: false, weightBytes: 1, kvCacheBytes: 2, activationBytes: 4)

    /// d0 (controller): 100 B/s memory bandwidth; d1: 200 B/s; both 1 GFLOP/s, so every block here is bound by the
    /// bytes it reads. One link: 64 B/s, 0.5 s latency.
    static func cluster() throws -> Cluster {
        try Cluster.fullMesh(
            devices: [
                Device(id: "d0", memory: Bytes(1e6), compute: FLOPsPerSecond(1e9), memoryBandwidth: BytesPerSecond(100)),
                Device(id: "d1", memory: Bytes(1e6), compute: FLOPsPerSecond(1e9), memoryBandwidth: BytesPerSecond(200)),
            ],
            bandwidth: BytesPerSecond(64), latency: Seconds(0.5))
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }

    /// Attention group: weights d·hd·(q+2) = 64 B + RMSNorm 4d = 32 B → 96 B; K/V 2·hd·2 B = 8 B per token;
    /// buffers (d + (q+2)·hd + q·hd)·4 = 80 B + q·4 = 8 B per token. Projection: 64 B + (H·hd + 2d)·4 = 96 B.
    /// FFN: 3·d·F = 384 B + 32 B norm, buffers (2F + 2d)·4 = 192 B.
    @Test func memoryPerBlockAndKVBytesPerToken() {
        let cm = DecodeCostModel(shape: Self.shape)
        let at10 = TokenPosition(promptLength: 9, generated: 0)  // context 10
        let attention = cm.demand(of: 0, at: at10)
        #expect(attention.weights.value == 96)
        #expect(attention.state.value == 80)  // 10 tokens × 8 B
        #expect(attention.memory.value == 96 + 80 + 80 + 80)
        #expect(attention.bytesRead.value == 96 + 80)
        let at11 = TokenPosition(promptLength: 9, generated: 1)
        #expect(cm.demand(of: 1, at: at11).state.value - cm.demand(of: 1, at: at10).state.value == 8)
        #expect(cm.demand(of: 2, at: at10).memory.value == 64 + 96)
        #expect(cm.demand(of: 3, at: at10).memory.value == 416 + 192)
        #expect(cm.demand(of: 3, at: at10).state.value == 0)
        // Controller: embedding 80 B + LM head 80 B + logits 40 B + 4d + 2 hidden vectors (64 B).
        #expect(cm.controllerMemory(at: at10).value == 80 + 80 + 40 + 32 + 64)
    }

    /// Llama-2-7B with an F16 cache: 32 K/V heads × 128 × (K and V) × 2 B = 16 KiB per token and layer.
    @Test func kvBytesPerTokenOfLlama2() {
        let shape = ModelShape(
            name: "llama-2-7b", layerCount: 32, modelDim: 4096, headCount: 32, kvHeadCount: 32, headDim: 128, ffnDim: 11008,
            vocabSize: 32000, weightBytes: ModelShape.Precision.q4_0, kvCacheBytes: 2)
        let cm = DecodeCostModel(shape: shape)
        let a = TokenPosition(promptLength: 100, generated: 0)
        let b = TokenPosition(promptLength: 100, generated: 1)
        let perLayer = (0..<32).reduce(0.0) { sum, g in
            let i = cm.layout.attentionIndex(layer: 0, group: g)
            return sum + cm.demand(of: i, at: b).state.value - cm.demand(of: i, at: a).state.value
        }
        #expect(perLayer == 16384)
    }

    /// Placement: group 0 and the projection on d0, group 1 and the FFN on d1, context 10.
    /// embed 8 B / 100 = 0.08; attention phase = max(d0: 176/100 = 1.76; d1: send 0.5 + 32/64 + 176/200 + gather
    /// 0.5 + 16/64 = 2.63) = 2.63; projection 64/100 = 0.64; hand-off to d1 1.0; FFN 416/200 = 2.08; back to the
    /// controller 1.0; LM head (80 + 8 B)/100 = 0.88. Total 8.31 s, communication 1.75 + 1.0 + 1.0 = 3.75 s,
    /// network 32 + 16 + 32 + 32 = 112 B.
    @Test func handWorkedPlacementLatency() throws {
        let cluster = try Self.cluster()
        let cm = DecodeCostModel(shape: Self.shape)
        let placement = Placement(devices: [0, 1, 0, 1])
        let e = cm.evaluate(placement, on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0))
        #expect(Self.close(e.latency.value, 8.31), "\(e.latency)")
        #expect(Self.close(e.communication.value, 3.75), "\(e.communication)")
        #expect(Self.close(e.networkBytes.value, 112))
        #expect(Self.close(e.memoryUsed[0].value, 296 + 336 + 160) && Self.close(e.memoryUsed[1].value, 336 + 608))
        #expect(e.isFeasible)
        // Everything on the controller: no transfers; 0.08 + 2 × 1.76 + 0.64 + 4.16 + 0.88.
        let local = cm.evaluate(Placement(blockCount: 4, allOn: 0), on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0))
        #expect(Self.close(local.latency.value, 0.08 + 3.52 + 0.64 + 4.16 + 0.88) && local.communication.value == 0)
    }

    /// The same placement with the attention fan in Q8 blocks (1.125 bytes a value; the residual stays F32): input to
    /// d1 8 × 1.125 = 9 B → 0.5 + 9/64 = 0.640625 s; group output 4 × 1.125 = 4.5 B → 0.5 + 4.5/64 = 0.5703125 s;
    /// d1's phase 0.640625 + 0.88 + 0.5703125 = 2.0909375 s. Total 0.08 + 2.0909375 + 0.64 + 1.0 + 2.08 + 1.0 + 0.88
    /// = 7.7709375 s; communication 1.2109375 + 2.0 s; network 9 + 4.5 + 32 + 32 = 77.5 B.
    @Test func quantizedAttentionFan() throws {
        let cluster = try Self.cluster()
        var cm = DecodeCostModel(shape: Self.shape)
        cm.fanActivationBytes = 36.0 / 32
        #expect(cm.attentionInputBytes == 9 && cm.groupOutputBytes == 4.5 && cm.hiddenBytes == 32)
        let e = cm.evaluate(Placement(devices: [0, 1, 0, 1]), on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0))
        #expect(Self.close(e.latency.value, 7.7709375), "\(e.latency)")
        #expect(Self.close(e.communication.value, 3.2109375), "\(e.communication)")
        #expect(Self.close(e.networkBytes.value, 77.5), "\(e.networkBytes)")
    }

    /// Prefill of 9 prompt tokens under the same placement: weights stream once, K/V read twice at the average
    /// context 5 (2 × 40 B), transfers carry 9 vectors: hidden 0.5 + 288/64 = 5.0 s, head outputs 0.5 + 144/64 = 2.75 s.
    /// embed 0.72 + attention max(1.76, 5.0 + 0.88 + 2.75) + projection 0.64 + hand-off 5.0 + FFN 2.08 + back 5.0
    /// + LM head 0.88 = 22.95 s.
    @Test func handWorkedPrefill() throws {
        let cluster = try Self.cluster()
        let cm = DecodeCostModel(shape: Self.shape)
        let prefill = try #require(cm.prefillLatency(Placement(devices: [0, 1, 0, 1]), on: cluster.nominalState, promptLength: 9))
        #expect(Self.close(prefill.value, 22.95), "\(prefill)")
        #expect(cm.prefillLatency(Placement(devices: [0, 1, 0, 1]), on: cluster.nominalState, promptLength: 0) == .zero)
    }

    /// The FFN split 1/4 on d0, 3/4 on d1 (F = d1): the phase is max(d0: 4.16 × 1/4 + return 1.0 = 2.04; d1: send 1.0
    /// + 2.08 × 3/4 = 2.56) = 2.56 instead of hand-off + FFN = 3.08; memory of the FFN splits 152 / 456 B.
    @Test func columnSplitFeedForward() throws {
        let cluster = try Self.cluster()
        let cm = DecodeCostModel(shape: Self.shape)
        #expect(cm.supportsFeedForwardSplit)
        let split = Placement(devices: [0, 1, 0, 1], feedForwardSplit: [[ColumnShare(device: 0, fraction: 0.25), ColumnShare(device: 1, fraction: 0.75)]])
        let e = cm.evaluate(split, on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0))
        #expect(Self.close(e.latency.value, 8.31 - 3.08 + 2.56), "\(e.latency)")
        #expect(Self.close(e.communication.value, 3.75))
        #expect(Self.close(e.networkBytes.value, 112 - 32 + 64))
        #expect(Self.close(e.memoryUsed[0].value, 296 + 336 + 160 + 152) && Self.close(e.memoryUsed[1].value, 336 + 456))
        #expect(Self.close(e.busy[0].value, 0.08 + 1.76 + 0.64 + 1.04 + 0.88) && Self.close(e.busy[1].value, 0.88 + 1.56))
        // A split onto one device is the unsplit placement.
        let whole = Placement(devices: [0, 1, 0, 1], feedForwardSplit: [[ColumnShare(device: 1, fraction: 1)]])
        let plain = cm.evaluate(Placement(devices: [0, 1, 0, 1]), on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0))
        #expect(Self.close(cm.evaluate(whole, on: cluster.nominalState, at: TokenPosition(promptLength: 9, generated: 0)).latency.value, plain.latency.value))
    }
}
