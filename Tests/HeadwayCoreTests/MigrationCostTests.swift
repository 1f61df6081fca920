import HeadwayCore
import Testing

/// Pins each term of `DecodeCostModel`'s migration by hand: transfers over the links of their paths (shared links add
/// up, directions are separate), weights from the stated source, cache rebuilds summed per device.
@Suite struct MigrationCostTests {
    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-12) -> Bool { abs(a - b) <= rel * max(abs(a), abs(b)) }

    // 2 layers × (2 groups + projection + FFN) = 8 blocks; block 0 is layer 0's first attention group.
    static let shape = ModelShape(
        name: "tiny", layerCount: 2, modelDim: 256, headCount: 4, kvHeadCount: 2, headDim: 64, ffnDim: 512,
        vocabSize: 1000, weightBytes: 2)
    // 100 tokens held in each cache before the step (prompt 90 + 10 generated).
    static let position = TokenPosition(promptLength: 90, generated: 10)
    static let held = 100.0
    static var kv: Double { 2 * 64 * shape.kvCacheBytes * held }
    static var attentionWeights: Double { shape.attentionGroupWeightCount * shape.attentionWeightBytes + 256 * 4 }
    static var hidden: Double { 256 * shape.activationBytes }

    /// Controller 0 and devices 1, 2. Full mesh: 0–1 1 MB/s 1 ms, 0–2 2 MB/s 2 ms, 1–2 4 MB/s 3 ms.
    /// Star: 0–1 and 0–2 only (1 → 2 goes through the controller).
    static func cluster(star: Bool = false) -> Cluster {
        let devices = (0..<3).map {
            Device(id: "d\($0)", memory: Bytes(gigabytes: 4), compute: FLOPsPerSecond(1e9 * Double($0 + 1)),
                memoryBandwidth: BytesPerSecond(1e8 * Double($0 + 1)))
        }
        var links = [
            Link(a: "d0", b: "d1", bandwidth: BytesPerSecond(1e6), latency: Seconds(0.001)),
            Link(a: "d0", b: "d2", bandwidth: BytesPerSecond(2e6), latency: Seconds(0.002)),
        ]
        if !star { links.append(Link(a: "d1", b: "d2", bandwidth: BytesPerSecond(4e6), latency: Seconds(0.003))) }
        return try! Cluster(devices: devices, links: links)
    }

    static func placement(_ moves: [Int: Int], from base: Int = 1) -> (Placement, Placement) {
        let before = Placement(blockCount: 8, allOn: base)
        var after = before
        for (b, d) in moves { after[b] = d }
        return (before, after)
    }

    @Test func cacheFromOldDeviceAndWeightsFromController() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster().nominalState
        let (a, b) = Self.placement([0: 2])
        // K/V on 1→2 (4 MB/s, 3 ms), weights on 0→2 (2 MB/s, 2 ms), at once on different links.
        let expected = max(0.003 + Self.kv / 4e6, 0.002 + Self.attentionWeights / 2e6)
        #expect(Self.close(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value, expected))
        #expect(Self.close(m.migrationBytes(from: a, to: b, on: s, at: Self.position).value, Self.kv + Self.attentionWeights))
        #expect(m.migrationLocalBytes(from: a, to: b, on: s, at: Self.position).value == 0)
    }

    @Test func transfersOnOneLinkAddUp() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster().nominalState
        // Both groups of layer 0 from 1 to 2: two caches share 1→2, two weight sets share 0→2.
        let (a, b) = Self.placement([0: 2, 1: 2])
        let expected = max(2 * (0.003 + Self.kv / 4e6), 2 * (0.002 + Self.attentionWeights / 2e6))
        #expect(Self.close(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value, expected))
        // The two directions of a link do not share. Weights read locally (memory bandwidth), so only caches cross:
        // block 0 from 1 to 2 and block 4 from 2 to 1 take as long as one of them, plus the slower local read.
        let local = DecodeCostModel(shape: Self.shape, weightSource: .localCopy(bandwidth: nil))
        let before = Placement(devices: [1, 1, 1, 1, 2, 1, 1, 1])
        let after = Placement(devices: [2, 1, 1, 1, 1, 1, 1, 1])
        let crossing = (0.003 + Self.kv / 4e6) + Self.attentionWeights / 2e8
        #expect(Self.close(local.migrationDelay(from: before, to: after, on: s, at: Self.position).value, crossing))
    }

    @Test func movingOntoTheControllerStillPays() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster().nominalState
        let (a, b) = Self.placement([0: 0])
        // K/V on 1→0 (1 MB/s, 1 ms); the controller reads its own weights at its memory bandwidth (1e8 B/s).
        let expected = (0.001 + Self.kv / 1e6) + Self.attentionWeights / 1e8
        #expect(Self.close(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value, expected))
        #expect(Self.close(m.migrationBytes(from: a, to: b, on: s, at: Self.position).value, Self.kv))
        #expect(Self.close(m.migrationLocalBytes(from: a, to: b, on: s, at: Self.position).value, Self.attentionWeights))
    }

    @Test func rebuildsOnOneDeviceRunOneAfterAnother() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster().nominalState.with(online: [true, false, true])
        // Rebuild of one group on device 2 (3e9 FLOP/s, 3e8 B/s): K and V projections + RoPE over 100 tokens.
        let flops = Self.held * (4 * 256 * 64 + 6 * 64)
        let bytes = 2 * 256 * 64 * Self.shape.attentionWeightBytes + Self.held * (Self.hidden + Self.kv / Self.held)
        let rebuild = max(flops / 3e9, bytes / 3e8)
        #expect(Self.close(m.rebuildTime(context: Self.held, on: 2, in: s), rebuild))
        let inputs = Self.held * Self.hidden
        // One block: inputs and weights both on 0→2 (sum), then the rebuild on device 2.
        let (a, b) = Self.placement([0: 2])
        let one = (0.002 + inputs / 2e6) + (0.002 + Self.attentionWeights / 2e6) + rebuild
        #expect(Self.close(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value, one))
        // Two blocks on the same device: twice the link load and twice the rebuild (not the max of the two).
        let (a2, b2) = Self.placement([0: 2, 1: 2])
        #expect(Self.close(m.migrationDelay(from: a2, to: b2, on: s, at: Self.position).value, 2 * one))
        #expect(Self.close(m.migrationBytes(from: a2, to: b2, on: s, at: Self.position).value,
            2 * (inputs + Self.attentionWeights)))
        // Rebuilt on the controller: no link, but the rebuild and the weight read are still paid.
        let (a3, b3) = Self.placement([0: 0])
        let onController = max(flops / 1e9, bytes / 1e8) + Self.attentionWeights / 1e8
        #expect(Self.close(m.migrationDelay(from: a3, to: b3, on: s, at: Self.position).value, onController))
    }

    @Test func localCopyAndNamedHolder() {
        let s = Self.cluster().nominalState
        let (a, b) = Self.placement([0: 2])
        let local = DecodeCostModel(shape: Self.shape, weightSource: .localCopy(bandwidth: BytesPerSecond(5e5)))
        // K/V over 1→2, then device 2 reads the weights from its own copy at 0.5 MB/s.
        #expect(Self.close(local.migrationDelay(from: a, to: b, on: s, at: Self.position).value,
            (0.003 + Self.kv / 4e6) + Self.attentionWeights / 5e5))
        #expect(Self.close(local.migrationBytes(from: a, to: b, on: s, at: Self.position).value, Self.kv))
        #expect(Self.close(local.migrationLocalBytes(from: a, to: b, on: s, at: Self.position).value, Self.attentionWeights))
        // Weights held by device 1: the K/V cache and the weights share 1→2.
        let held = DecodeCostModel(shape: Self.shape, weightSource: .holder(1))
        #expect(Self.close(held.migrationDelay(from: a, to: b, on: s, at: Self.position).value,
            (0.003 + Self.kv / 4e6) + (0.003 + Self.attentionWeights / 4e6)))
        // Holder offline: the controller serves them.
        let s1 = s.with(online: [true, false, true])
        #expect(held.weightHolder(in: s1) == 0)
    }

    @Test func multiHopPathsShareTheirLinks() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster(star: true).nominalState
        let (a, b) = Self.placement([0: 2])
        // K/V 1→0→2 occupies 1→0 and 0→2 (path latency 3 ms on each); the weights also use 0→2.
        let link02 = (0.003 + Self.kv / 2e6) + (0.002 + Self.attentionWeights / 2e6)
        let link10 = 0.003 + Self.kv / 1e6
        #expect(Self.close(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value, max(link02, link10)))
    }

    @Test func neverFasterThanBytesOverBandwidth() {
        let m = DecodeCostModel(shape: Self.shape, weightSource: .controller)
        let s = Self.cluster().nominalState
        // Every block from 1 to the controller: all bytes but the controller's own weight reads cross link 1→0.
        let (a, b) = Self.placement(Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, 0) }))
        let over = m.migrationBytes(from: a, to: b, on: s, at: Self.position).value
        #expect(m.migrationDelay(from: a, to: b, on: s, at: Self.position).value >= over / 1e6)
    }
}
