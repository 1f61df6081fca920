import Foundation
import HeadwayGGUF
import Testing

@Suite struct GGUFWriterTests {
    static let everyValue: [(String, GGUFValue)] = [
        ("t.u8", .uint8(255)), ("t.i8", .int8(-128)), ("t.u16", .uint16(65535)), ("t.i16", .int16(-32768)),
        ("t.u32", .uint32(.max)), ("t.i32", .int32(.min)), ("t.u64", .uint64(.max)), ("t.i64", .int64(.min)),
        ("t.f32", .float32(-1.5e-7)), ("t.f64", .float64(.pi)), ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.string", .string("héllo ✓ 日本 🙂")), ("t.empty", .string("")),
        ("t.strings", .array([.string("a"), .string(""), .string("ĠHello")])),
        ("t.ints", .array([.int32(1), .int32(-2), .int32(3)])), ("t.floats", .array([.float32(1), .float32(0.25)])),
        ("t.bools", .array([.bool(true), .bool(false)])), ("t.u64s", .array([.uint64(1 << 40)])),
        ("t.nested", .array([.array([.uint8(1), .uint8(2)]), .array([.uint8(3)])])), ("t.none", .array([])),
    ]

    @Test func everyValueTypeRoundTrips() throws {
        var w = GGUFWriter()
        for (k, v) in Self.everyValue { w.add(k, v) }
        let f = try GGUFFile(bytes: w.serialize(), name: "values.gguf")
        #expect(f.version == 3)
        #expect(f.metadataKeys == Self.everyValue.map(\.0))
        for (k, v) in Self.everyValue {
            #expect(f.metadata[k] == v, "\(k): wrote \(v), read \(String(describing: f.metadata[k]))")
            #expect(f.metadata[k]?.type == v.type, "\(k)")
        }
        #expect(f.tensors.isEmpty)
    }

    @Test func typedAccessorsConvertOnlyWhatFits() throws {
        var w = GGUFWriter()
        for (k, v) in Self.everyValue { w.add(k, v) }
        let f = try GGUFFile(bytes: w.serialize(), name: "values.gguf")
        #expect(f.int("t.u8") == 255 && f.int("t.i64") == Int(Int64.min) && f.int("t.u32") == Int(UInt32.max))
        #expect(f.int("t.u64") == nil, "UInt64.max does not fit in Int")
        #expect(f.float("t.f64") == .pi && f.float("t.u16") == 65535 && f.float("t.string") == nil)
        #expect(f.bool("t.true") == true && f.bool("t.u8") == nil)
        #expect(f.string("t.string") == "héllo ✓ 日本 🙂" && f.string("t.u8") == nil)
        #expect(f.stringArray("t.strings") == ["a", "", "ĠHello"] && f.stringArray("t.ints") == nil)
        #expect(f.intArray("t.ints") == [1, -2, 3] && f.floatArray("t.floats") == [1, 0.25])
        #expect(f.value("t.nested")?.arrayValue?.count == 2)
        #expect(f.int("absent") == nil)
        #expect(throws: GGUFError.self) { try f.requiredInt("t.string") }
        do {
            _ = try f.requiredString("llama.nothing")
            Issue.record("expected missingKey")
        } catch let e as GGUFError {
            #expect(e.code == .missingKey && e.message.contains("llama.nothing") && e.message.contains("values.gguf"))
        }
        do {
            _ = try f.requiredInt("t.string")
        } catch let e as GGUFError {
            #expect(e.code == .invalidValue && e.message.contains("t.string") && e.message.contains("héllo"), "\(e)")
        }
    }

    @Test(arguments: [32, 64, 1, 4096])
    func tensorsRoundTripAligned(alignment: Int) throws {
        let w = GGUFTestFiles.sample(alignment: alignment)
        let bytes = w.serialize()
        let f = try GGUFFile(bytes: bytes, name: "sample.gguf")
        #expect(f.alignment == alignment)
        #expect(f.dataOffset % alignment == 0)
        #expect(f.int("general.alignment") == (alignment == 32 ? nil : alignment))
        #expect(f.tensors.map(\.name) == w.tensors.map(\.name))
        var expectedEnd = f.dataOffset
        for (info, written) in zip(f.tensors, w.tensors) {
            #expect(info.offset == expectedEnd, "\(info.name) is packed right after the previous tensor's padding")
            #expect(info.offset % alignment == 0)
            #expect(info.type == written.type && info.dimensions == written.dimensions)
            #expect(Array(f.tensorData(info)) == written.bytes, "\(info.name)")
            expectedEnd = (info.offset + info.byteCount + alignment - 1) / alignment * alignment
        }
        #expect(bytes.count == expectedEnd)
    }

    @Test func version2FilesAreRead() throws {
        var w = GGUFTestFiles.sample()
        w.version = 2
        #expect(try GGUFFile(bytes: w.serialize()).version == 2)
    }

    @Test func fileOnDiskIsMappedAndReadable() throws {
        let path = "/tmp/headway-gguf-writer-\(getpid()).gguf"
        defer { unlink(path) }
        let w = GGUFTestFiles.sample()
        try w.write(to: path)
        let f = try GGUFFile(path: path)
        #expect(f.name == "headway-gguf-writer-\(getpid()).gguf")
        #expect(f.fileSize == w.serialize().count)
        let t = try #require(f.tensor(named: "bbb.weight"))
        #expect(Array(f.tensorData(t)) == GGUFTestFiles.pattern(68, seed: 3))
        #expect(f.withTensorBytes(t) { $0.count } == 68)
        #expect(Array(f.bytes.prefix(4)) == Array("GGUF".utf8))
    }
}
