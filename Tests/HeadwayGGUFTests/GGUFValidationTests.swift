import Foundation
import HeadwayGGUF
import Testing

/// One test per malformation: the reader throws the right code with a message naming the file, the item and the value.
@Suite struct GGUFValidationTests {
    let valid = GGUFTestFiles.sample().serialize()

    @Test func sampleIsValid() throws {
        let f = try GGUFFile(bytes: valid, name: "test.gguf")
        #expect(f.tensors.count == 3 && f.metadata.count == 5)
    }

    @Test func badMagic() {
        var b = valid
        b.replaceSubrange(0..<4, with: Array("GGML".utf8))
        expectGGUFError(.badMagic, mentioning: ["'GGML'"], reading: b)
    }

    @Test func unsupportedVersion() {
        var b = valid
        GGUFTestFiles.put(UInt32(4), at: 4, in: &b)
        expectGGUFError(.unsupportedVersion, mentioning: ["version 4"], reading: b)
        GGUFTestFiles.put(UInt32(1), at: 4, in: &b)
        expectGGUFError(.unsupportedVersion, mentioning: ["version 1"], reading: b)
        GGUFTestFiles.put(UInt32(3).byteSwapped, at: 4, in: &b)
        expectGGUFError(.unsupportedVersion, mentioning: ["big-endian"], reading: b)
    }

    @Test func truncatedHeader() {
        expectGGUFError(.truncated, mentioning: ["tensor count", "byte 8"], reading: Array(valid.prefix(10)))
        expectGGUFError(.truncated, mentioning: ["magic"], reading: Array(valid.prefix(3)))
        expectGGUFError(.truncated, mentioning: ["magic", "0 of 0"], reading: [])
    }

    @Test func tensorPastEndOfFile() {
        // ccc.weight (40 bytes, padded to 64) is last; cutting 30 bytes cuts into its data.
        let cut = Array(valid.dropLast(30))
        expectGGUFError(
            .tensorOutOfBounds, mentioning: ["'ccc.weight'", "past end of file (\(cut.count) bytes)"], reading: cut)

        var b = valid
        GGUFTestFiles.put(UInt64(1 << 20), at: GGUFTestFiles.tensorFields("aaa.weight", dims: 1, in: b).offset, in: &b)
        expectGGUFError(.tensorOutOfBounds, mentioning: ["'aaa.weight'", "data offset 1048576"], reading: b)

        GGUFTestFiles.put(UInt64.max, at: GGUFTestFiles.tensorFields("aaa.weight", dims: 1, in: b).offset, in: &b)
        expectGGUFError(.tensorOutOfBounds, mentioning: ["'aaa.weight'", "\(UInt64.max)"], reading: b)
    }

    @Test func misalignedTensorOffset() {
        var b = valid
        GGUFTestFiles.put(UInt64(68), at: GGUFTestFiles.tensorFields("ccc.weight", dims: 1, in: b).offset, in: &b)
        expectGGUFError(.badAlignment, mentioning: ["'ccc.weight'", "offset 68", "alignment 32"], reading: b)
    }

    @Test func duplicateTensorName() {
        var b = valid
        let p = GGUFTestFiles.end(of: "bbb.weight", in: b) - "bbb.weight".utf8.count
        b.replaceSubrange(p..<p + 3, with: Array("aaa".utf8))
        expectGGUFError(.duplicateTensor, mentioning: ["'aaa.weight'"], reading: b)
    }

    @Test func duplicateMetadataKey() {
        var b = valid
        let p = GGUFTestFiles.end(of: "general.bbb", in: b) - 3
        b.replaceSubrange(p..<p + 3, with: Array("aaa".utf8))
        expectGGUFError(.duplicateKey, mentioning: ["'general.aaa'"], reading: b)
    }

    @Test func unknownTensorType() {
        var b = valid
        GGUFTestFiles.put(UInt32(4), at: GGUFTestFiles.tensorFields("bbb.weight", dims: 2, in: b).type, in: &b)
        expectGGUFError(.unknownType, mentioning: ["'bbb.weight'", "type id 4"], reading: b)
        GGUFTestFiles.put(UInt32(9999), at: GGUFTestFiles.tensorFields("bbb.weight", dims: 2, in: b).type, in: &b)
        expectGGUFError(.unknownType, mentioning: ["'bbb.weight'", "9999"], reading: b)
    }

    @Test func alignmentNotAPowerOfTwo() {
        var b = GGUFTestFiles.sample(alignment: 64).serialize()
        let valueAt = GGUFTestFiles.end(of: "general.alignment", in: b) + 4
        GGUFTestFiles.put(UInt32(48), at: valueAt, in: &b)
        expectGGUFError(.badAlignment, mentioning: ["general.alignment", "48"], reading: b)
        GGUFTestFiles.put(UInt32(0), at: valueAt, in: &b)
        expectGGUFError(.badAlignment, mentioning: ["general.alignment", "0"], reading: b)
    }

    @Test func hugeStringLength() {
        var b = valid
        // The first key's length field follows magic, version and the two counts.
        GGUFTestFiles.put(UInt64(1) << 60, at: 24, in: &b)
        expectGGUFError(
            .truncated, mentioning: ["key of metadata entry 0", "length 1152921504606846976", "past end of file"],
            reading: b)
        var c = valid
        let lengthAt = GGUFTestFiles.end(of: "general.architecture", in: c) + 4
        GGUFTestFiles.put(UInt64(c.count), at: lengthAt, in: &c)
        expectGGUFError(.truncated, mentioning: ["'general.architecture'", "length \(c.count)"], reading: c)
    }

    @Test func hugeArrayCount() {
        var b = valid
        let countAt = GGUFTestFiles.end(of: "tokenizer.ggml.tokens", in: b) + 8
        GGUFTestFiles.put(UInt64(1) << 40, at: countAt, in: &b)
        expectGGUFError(.truncated, mentioning: ["'tokenizer.ggml.tokens'", "1099511627776 elements"], reading: b)
    }

    @Test func hugeCounts() {
        var b = valid
        GGUFTestFiles.put(UInt64(1) << 50, at: 16, in: &b)
        expectGGUFError(.invalidValue, mentioning: ["metadata count 1125899906842624"], reading: b)
        var c = valid
        GGUFTestFiles.put(UInt64(1000), at: 8, in: &c)
        expectGGUFError(.invalidValue, mentioning: ["tensor count 1000"], reading: c)
        GGUFTestFiles.put(UInt64.max, at: 8, in: &c)
        expectGGUFError(.invalidValue, mentioning: ["tensor count \(UInt64.max)"], reading: c)
    }

    @Test func badDimensionCountRowAndOverflow() {
        let fields = GGUFTestFiles.tensorFields("bbb.weight", dims: 2, in: valid)
        var b = valid
        GGUFTestFiles.put(UInt32(5), at: fields.dimCount, in: &b)
        expectGGUFError(.invalidShape, mentioning: ["'bbb.weight'", "5 dimensions"], reading: b)
        GGUFTestFiles.put(UInt32(0), at: fields.dimCount, in: &b)
        expectGGUFError(.invalidShape, mentioning: ["'bbb.weight'", "0 dimensions"], reading: b)

        var c = valid
        GGUFTestFiles.put(UInt64(16), at: fields.dims, in: &c)
        expectGGUFError(.invalidShape, mentioning: ["'bbb.weight'", "row length 16", "Q8_0", "32"], reading: c)

        var d = valid
        GGUFTestFiles.put(UInt64(1) << 40, at: fields.dims, in: &d)
        GGUFTestFiles.put(UInt64(1) << 40, at: fields.dims + 8, in: &d)
        expectGGUFError(.invalidShape, mentioning: ["'bbb.weight'", "overflows"], reading: d)
    }

    @Test func badMetadataValues() {
        var b = valid
        GGUFTestFiles.put(UInt32(13), at: GGUFTestFiles.end(of: "general.aaa", in: b), in: &b)
        expectGGUFError(.invalidValue, mentioning: ["'general.aaa'", "value type 13"], reading: b)
        var c = valid
        c[GGUFTestFiles.end(of: "general.bbb", in: c) + 4] = 2
        expectGGUFError(.invalidValue, mentioning: ["'general.bbb'", "bool byte 2"], reading: c)
    }

    @Test func fileSystemErrors() throws {
        do {
            _ = try GGUFFile(path: "/nonexistent/dir/model.gguf")
            Issue.record("expected io error")
        } catch let e as GGUFError {
            #expect(e.code == .io && e.message.contains("model.gguf") && e.message.contains("No such file"), "\(e)")
        }
        do {
            _ = try GGUFFile(path: "/tmp")
            Issue.record("expected io error")
        } catch let e as GGUFError {
            #expect(e.code == .io && e.message.contains("not a regular file"), "\(e)")
        }
        let empty = "/tmp/headway-empty-\(getpid()).gguf"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { unlink(empty) }
        do {
            _ = try GGUFFile(path: empty)
            Issue.record("expected truncated")
        } catch let e as GGUFError {
            #expect(e.code == .truncated && e.message.contains("empty"), "\(e)")
        }
    }
}
