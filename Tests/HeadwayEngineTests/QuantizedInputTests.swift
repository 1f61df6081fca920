import HeadwayEngine
import HeadwayTestSupport
import Testing

/// `Q8Rows`: the packed Q8 form a block can take in place of its F32 input.
@Suite struct QuantizedInputTests {
    @Test func packedRowsUnpackToTheSameView() {
        let tokens = 3, cols = 96
        let x = randomFloats(tokens * cols, seed: 11, scale: 4)
        var a = [Float](repeating: 0, count: Q8Activations.floatCount(tokens: tokens, cols: cols))
        var b = a
        var bytes = [UInt8](repeating: 0, count: Q8Rows.byteCount(tokens: tokens, cols: cols))
        #expect(bytes.count == tokens * 3 * 36)
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                let va = Q8Activations(carving: pa.baseAddress!, tokens: tokens, cols: cols)
                let vb = Q8Activations(carving: pb.baseAddress!, tokens: tokens, cols: cols)
                Kernels.quantizeActivationsReference(x, into: va)
                bytes.withUnsafeMutableBytes { Q8Rows.pack(va, into: $0.baseAddress!) }
                bytes.withUnsafeBytes { Q8Rows.unpack($0.baseAddress!, into: vb) }
            }
        }
        #expect(a == b)
        // Quantize-and-pack in one call gives the same bytes.
        var again = [UInt8](repeating: 0, count: bytes.count)
        var scratch = [Float](repeating: 0, count: Q8Activations.floatCount(tokens: tokens, cols: cols))
        scratch.withUnsafeMutableBufferPointer { s in
            again.withUnsafeMutableBytes { Q8Rows.quantize(x, tokens: tokens, cols: cols, scratch: s.baseAddress!, into: $0.baseAddress!) }
        }
        #expect(again == bytes)
    }

    @Test(.enabled(if: TestModel.isEnabled)) func projectionFromQuantizedHeadsIsBitIdentical() throws {
        let model = try LlamaModel(path: try TestModel.requiredPath())
        let c = model.configuration
        let block = model.projectionBlock(layer: 3)
        #expect(block.takesQuantizedHeads)
        let n = 2
        let heads = randomFloats(n * c.queryDim, seed: 5)
        let residual = randomFloats(n * c.modelDim, seed: 6)
        var scratch = [Float](repeating: 0, count: ProjectionBlock.scratchCount(c, tokens: n) + Q8Activations.floatCount(tokens: n, cols: c.queryDim))
        var packed = [UInt8](repeating: 0, count: Q8Rows.byteCount(tokens: n, cols: c.queryDim))
        scratch.withUnsafeMutableBufferPointer { s in
            packed.withUnsafeMutableBytes { Q8Rows.quantize(heads, tokens: n, cols: c.queryDim, scratch: s.baseAddress!, into: $0.baseAddress!) }
        }
        var viaF32 = residual, viaQ8 = residual
        let garbage = [Float](repeating: .nan, count: n * c.queryDim)
        scratch.withUnsafeMutableBufferPointer { s in
            block.forward(heads: heads, residual: &viaF32, tokens: n, scratch: s.baseAddress!, pool: .serial)
            packed.withUnsafeBytes { q in
                block.forward(heads: garbage, residual: &viaQ8, tokens: n, scratch: s.baseAddress!, pool: .serial, quantizedHeads: q.baseAddress!)
            }
        }
        #expect(viaF32 == viaQ8)
    }
}
