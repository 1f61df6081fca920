import HeadwayCore
import HeadwayEngine
import HeadwayRuntime
import HeadwayTestSupport
import Testing

/// Activations in the receiving product's Q8 form (`Q8Rows`): the same tokens as F32 and one process, fewer bytes,
/// and jobs that misuse them are refused without touching a cache.
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct QuantizedActivationTests {
    typealias G = DistributedGenerationTests

    /// Each layer's groups over three workers, projection and FFN on the first: every layer has an attention round.
    static func spread(_ layout: BlockLayout) -> Placement {
        var p = Placement(blockCount: layout.count, allOn: 1)
        for l in 0..<layout.layerCount {
            for g in 0..<layout.groupsPerLayer { p[layout.attentionIndex(layer: l, group: g)] = 1 + g % 3 }
        }
        return p
    }

    @Test(arguments: [KVCacheFormat.f16, .standard])
    func sameTokensAndFewerBytesThanF32(_ format: KVCacheFormat) throws {
        let expected = try G.singleProcess(format, tokens: 10)
        let layout = BlockLayout(shape: try ModelShape(gguf: G.model.file))
        var sent: [Bool: Int] = [:]
        for quantized in [false, true] {
            var o = G.options(format, placement: Self.spread(layout))
            o.quantizedActivations = quantized
            let (c, devices) = try G.coordinator(workers: 3, options: o)
            defer { devices.forEach { $0.stop() } }
            // The connections' counters include the join's measurements: count the second generation's bytes.
            let first = try G.run(c, tokens: 10)
            let report = try G.run(c, tokens: 10)
            #expect(first.tokens == expected && report.tokens == expected, "quantized activations: \(quantized)")
            func total(_ r: RunReport) -> Int { r.devices.reduce(0) { $0 + $1.bytes_sent + $1.bytes_received } }
            sent[quantized] = total(report) - total(first)
        }
        // Per token and layer: x to 3 workers, 3 group outputs back, heads to the projection's worker (and the
        // residual both ways, which stays F32): Q8 carries 36 bytes per 32 values instead of 128.
        #expect(Double(sent[true]!) < 0.6 * Double(sent[false]!), "bytes with Q8 \(sent[true]!) vs F32 \(sent[false]!)")
    }

    @Test func malformedQuantizedJobsAreRefusedAndChangeNothing() throws {
        let c = G.model.configuration
        let device = try DeviceExecutor(model: G.model, name: "w", threads: 1, maxContext: 64)
        let blocks = (0..<c.kvHeadCount).map { Block(layer: 0, kind: .attention(group: $0)) }
        #expect(device.handle(.open(sequence: 1, capacity: 64, cacheFormat: "f16", blocks: blocks)) == .ok)
        let rowBytes = Q8Rows.byteCount(tokens: 1, cols: c.modelDim)
        let attention = Step.attention(layer: 0, groups: [0], emit: true)
        func refused(_ job: RunJob, _ text: String) {
            guard case .failure(let code, let message) = device.handle(.run(job)) else {
                Issue.record("accepted: \(text)")
                return
            }
            #expect(code == "invalid-argument" && message.contains(text), "\(message)")
        }
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [attention], x: [],
                       quantizedInput: [UInt8](repeating: 0, count: rowBytes - 1)), "quantized input of \(rowBytes - 1) bytes")
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [attention], x: [Float](repeating: 0, count: c.modelDim),
                       quantizedInput: [UInt8](repeating: 0, count: rowBytes)), "only for a job of one emitting attention step")
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [.attention(layer: 0, groups: Array(0..<c.kvHeadCount), emit: false), .projection(layer: 0)],
                       x: [], quantizedInput: [UInt8](repeating: 0, count: rowBytes)), "only for a job of one emitting attention step")
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [.feedForward(layer: 0)], x: [Float](repeating: 0, count: c.modelDim),
                       quantizeOutput: true), "quantized output asked of a job that emits no heads")
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [.projection(layer: 0)], x: [Float](repeating: 0, count: c.modelDim),
                       quantizedHeads: [UInt8](repeating: 0, count: 7)), "quantized heads of 7 bytes")
        refused(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [.feedForward(layer: 0)], x: [Float](repeating: 0, count: c.modelDim),
                       quantizedHeads: [UInt8](repeating: 0, count: Q8Rows.byteCount(tokens: 1, cols: c.queryDim))), "heads sent to a job that does not start with a projection")
        // Nothing was appended: a well-formed quantized job still starts at position 0.
        var input = [UInt8](repeating: 0, count: rowBytes)
        let x = (0..<c.modelDim).map { Float($0 % 13) * 0.1 - 0.6 }
        let xq = [Float](repeating: 0, count: c.modelDim + Q8Activations.floatCount(tokens: 1, cols: c.modelDim))
        var scratch = xq
        scratch.withUnsafeMutableBufferPointer { s in
            let view = Q8Activations(carving: s.baseAddress! + c.modelDim, tokens: 1, cols: c.modelDim)
            LayerAttention.normalizedInput(norm: G.model.weights.layers[0].attentionNorm, c, x, tokens: 1, xn: s.baseAddress!, into: view)
            input.withUnsafeMutableBytes { Q8Rows.pack(view, into: $0.baseAddress!) }
        }
        let viaQ8 = device.handle(.run(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [attention], x: [], quantizedInput: input)))
        // The same job from the F32 input on a fresh device: bit-identical head outputs.
        let other = try DeviceExecutor(model: G.model, name: "v", threads: 1, maxContext: 64)
        #expect(other.handle(.open(sequence: 1, capacity: 64, cacheFormat: "f16", blocks: blocks)) == .ok)
        let viaF32 = other.handle(.run(RunJob(sequence: 1, epoch: 1, position: 0, tokens: 1, steps: [attention], x: x)))
        guard case .result(let a) = viaQ8, case .result(let b) = viaF32 else {
            Issue.record("\(viaQ8) / \(viaF32)")
            return
        }
        #expect(a.values == b.values && a.values.count == c.groupDim)
    }
}
