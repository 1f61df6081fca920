import HeadwayGGUF
import Testing

@Suite struct GGMLTypeTests {
    /// (id, name, elements per block, bytes per block), as gguf-py 0.19.0 `GGML_QUANT_SIZES` lists them, except Q8_1:
    /// gguf-py still says 40 (two f32 scales), but ggml-common.h's `block_q8_1` holds two f16 (`sizeof == 36`).
    static let table: [(UInt32, String, Int, Int)] = [
        (0, "F32", 1, 4), (1, "F16", 1, 2), (2, "Q4_0", 32, 18), (3, "Q4_1", 32, 20), (6, "Q5_0", 32, 22),
        (7, "Q5_1", 32, 24), (8, "Q8_0", 32, 34), (9, "Q8_1", 32, 36), (10, "Q2_K", 256, 84), (11, "Q3_K", 256, 110),
        (12, "Q4_K", 256, 144), (13, "Q5_K", 256, 176), (14, "Q6_K", 256, 210), (15, "Q8_K", 256, 292),
        (16, "IQ2_XXS", 256, 66), (17, "IQ2_XS", 256, 74), (18, "IQ3_XXS", 256, 98), (19, "IQ1_S", 256, 50),
        (20, "IQ4_NL", 32, 18), (21, "IQ3_S", 256, 110), (22, "IQ2_S", 256, 82), (23, "IQ4_XS", 256, 136),
        (24, "I8", 1, 1), (25, "I16", 1, 2), (26, "I32", 1, 4), (27, "I64", 1, 8), (28, "F64", 1, 8),
        (29, "IQ1_M", 256, 56), (30, "BF16", 1, 2), (34, "TQ1_0", 256, 54), (35, "TQ2_0", 256, 66),
        (39, "MXFP4", 32, 17), (40, "NVFP4", 64, 36), (41, "Q1_0", 128, 18),
    ]

    @Test func everyTypeHasGGMLIdNameAndBlockLayout() throws {
        #expect(GGMLType.allCases.count == Self.table.count)
        for (id, name, block, size) in Self.table {
            let t = try #require(GGMLType(rawValue: id), "id \(id)")
            #expect(t.description == name)
            #expect(t.blockSize == block && t.typeSize == size, "\(name): (\(t.blockSize), \(t.typeSize))")
        }
        for removed: UInt32 in [4, 5, 31, 32, 33, 36, 37, 38, 42] { #expect(GGMLType(rawValue: removed) == nil) }
        #expect(GGMLType.q4_1.bytesPerElement == 0.625 && GGMLType.q8_0.bytesPerElement == 1.0625)
    }

    /// A hand-built tensor of two rows of two blocks for each block type: the reader sizes it from the type and
    /// hands back exactly the written bytes.
    @Test(arguments: GGMLType.allCases)
    func handBuiltBlocksAreSizedByType(_ type: GGMLType) throws {
        var w = GGUFWriter()
        let bytes = GGUFTestFiles.pattern(4 * type.typeSize, seed: Int(type.rawValue))
        w.addTensor("t", type: type, dimensions: [2 * type.blockSize, 2], bytes: bytes)
        w.addTensor("after", float32: [1], dimensions: [1])
        let f = try GGUFFile(bytes: w.serialize())
        let t = try #require(f.tensor(named: "t"))
        #expect(t.byteCount == 4 * type.typeSize)
        #expect(t.elementCount == 4 * type.blockSize)
        #expect(t.rowLength == 2 * type.blockSize && t.rowCount == 2 && t.rowByteCount == 2 * type.typeSize)
        #expect(Array(f.tensorData(t)) == bytes)
        let after = try #require(f.tensor(named: "after"))
        #expect(Array(f.tensorData(after)) == [0, 0, 0x80, 0x3F], "1.0f follows, aligned after \(type)")
    }
}
