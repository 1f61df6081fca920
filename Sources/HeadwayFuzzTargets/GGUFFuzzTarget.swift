import HeadwayCore
import HeadwayGGUF

/// The GGUF reader (`GGUFFile`) and the model shape read from its header (`ModelShape(gguf:)`).
///
/// Accepted files must have every tensor inside the file and aligned; every metadata value is rendered (which decodes
/// every array element) and every tensor's row count computed.
public enum GGUFFuzzTarget: FuzzTarget {
    public static let name = "gguf"
    static let fileName = "fuzz.gguf"

    public static func seeds() -> [[UInt8]] {
        var w = GGUFWriter(alignment: 64)
        w.add("general.architecture", .string("llama"))
        w.add("a.u8", .uint8(1))
        w.add("a.i8", .int8(-1))
        w.add("a.u16", .uint16(2))
        w.add("a.i16", .int16(-2))
        w.add("a.i32", .int32(-3))
        w.add("a.u64", .uint64(4))
        w.add("a.i64", .int64(-4))
        w.add("a.f64", .float64(0.25))
        w.add("a.bool", .bool(true))
        w.add("a.strings", .array([.string("x"), .string("yz")]))
        w.add("a.ints", .array([.int32(1), .int32(2)]))
        w.add("a.nested", .array([.array([.uint8(1)]), .array([.uint8(2)])]))
        w.addTensor("t.f32", float32: [1, 2, 3, 4], dimensions: [2, 2])
        w.addTensor("t.q8", type: .q8_0, dimensions: [32, 1], bytes: [UInt8](repeating: 7, count: 34))
        // The header of a (weightless) llama model: enough for `ModelShape(gguf:)` to accept it.
        var m = GGUFWriter()
        for (key, value) in [("general.architecture", GGUFValue.string("llama")), ("llama.block_count", .uint32(1)),
                             ("llama.embedding_length", .uint32(4)), ("llama.attention.head_count", .uint32(2)),
                             ("llama.attention.head_count_kv", .uint32(1)), ("llama.feed_forward_length", .uint32(8)),
                             ("llama.vocab_size", .uint32(3))] {
            m.add(key, value)
        }
        for name in ["token_embd", "blk.0.attn_q", "blk.0.attn_k", "blk.0.attn_v", "blk.0.attn_output", "blk.0.ffn_gate",
                     "blk.0.ffn_up", "blk.0.ffn_down"] {
            m.addTensor(name + ".weight", float32: [1, 2], dimensions: [2])
        }
        return [w.serialize(), m.serialize()]
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let file: GGUFFile
        do {
            file = try GGUFFile(bytes: Array(input), name: fileName)
        } catch {
            try expect(error, is: GGUFError.self, naming: fileName) { $0.message }
            return false
        }
        for t in file.tensors {
            guard t.offset >= file.dataOffset, t.offset % file.alignment == 0, t.byteCount <= file.fileSize - t.offset,
                t.rowCount >= 0
            else {
                throw FuzzFailure("\(name): tensor '\(t.name)' accepted outside the file or misaligned: \(t)")
            }
            _ = file.withTensorBytes(t) { $0.count }
        }
        for key in file.metadataKeys { _ = file.metadata[key]!.description }
        do {
            _ = try ModelShape(gguf: file)
        } catch {
            try expect(error, is: GGUFError.self, naming: fileName) { $0.message }
        }
        return true
    }
}
