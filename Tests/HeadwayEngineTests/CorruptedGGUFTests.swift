import Foundation
import HeadwayEngine
import HeadwayGGUF
import HeadwayTestSupport
import Testing

/// Corrupted copies of the real SmolLM2-135M file, loaded the way `headway generate` loads a model (`LlamaModel`, then
/// the tokenizer and chat template): truncations, header fields set to huge or impossible values (among them byte
/// 489, the high byte of `llama.block_count`), and a few hundred seeded random byte changes in the header. Each must
/// load or fail with an error naming the file; the named cases must fail with the expected code and values.
@Suite(.enabled(if: TestModel.isEnabled), .serialized) struct CorruptedGGUFTests {
    /// The outcome of loading a corrupted copy.
    enum Outcome {
        case loaded
        case failed(EngineError)
        /// The tokenizer or chat template refused the metadata (the model itself loaded).
        case tokenizerFailed(GGUFError)
    }

    /// One copy of the real file in a temporary folder; each case patches it, loads it and restores it.
    final class Copy {
        let original: String
        let path: String
        let bytes: Int
        let header: GGUFFile
        let dir: URL

        init() throws {
            original = try TestModel.requiredPath()
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("headway-corrupt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            path = dir.appendingPathComponent("corrupt.gguf").path
            try FileManager.default.copyItem(atPath: original, toPath: path)
            header = try GGUFFile(path: original)
            bytes = header.fileSize
        }

        deinit { try? FileManager.default.removeItem(at: dir) }

        /// Position of a metadata value: just past the key and its 4-byte type tag.
        func valueOffset(of key: String) throws -> Int {
            let raw = header.bytes
            let needle = Array(key.utf8)
            let limit = min(header.dataOffset, raw.count) - needle.count
            for i in 8..<limit where raw[i] == needle[0] && raw[i..<(i + needle.count)].elementsEqual(needle) {
                // A key is preceded by its u64 length.
                if raw.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self) == UInt64(needle.count) {
                    return i + needle.count + 4
                }
            }
            throw EngineError(.invalidArgument, "key \(key) not found")
        }

        /// Loads the copy with `patch` written at `offset`, then restores the original bytes.
        func load(patching bytes: [UInt8], at offset: Int) throws -> Outcome {
            let h = try #require(FileHandle(forUpdatingAtPath: path))
            defer { try? h.close() }
            try h.seek(toOffset: UInt64(offset))
            let saved = try h.read(upToCount: bytes.count) ?? Data()
            try h.seek(toOffset: UInt64(offset))
            try h.write(contentsOf: bytes)
            defer {
                try? h.seek(toOffset: UInt64(offset))
                try? h.write(contentsOf: saved)
            }
            return Self.load(path)
        }

        /// Loads the first `length` bytes of the file (written as their own file).
        func load(truncatedTo length: Int) throws -> Outcome {
            let short = dir.appendingPathComponent("truncated.gguf").path
            let src = try #require(FileHandle(forReadingAtPath: original))
            defer { try? src.close() }
            FileManager.default.createFile(atPath: short, contents: try src.read(upToCount: length) ?? Data())
            defer { try? FileManager.default.removeItem(atPath: short) }
            return Self.load(short)
        }

        static func load(_ path: String) -> Outcome {
            let model: LlamaModel
            do { model = try LlamaModel(path: path) } catch { return .failed(error) }
            do {
                let tokenizer = try Tokenizer(gguf: model.file)
                _ = tokenizer.encode(try ChatTemplate(gguf: model.file).render([.user("Hi")]), parseSpecial: true)
            } catch let e as GGUFError {
                return .tokenizerFailed(e)
            } catch {
                return .tokenizerFailed(GGUFError(.invalidValue, "unexpected error type \(type(of: error)): \(error)"))
            }
            return .loaded
        }
    }

    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    /// Expects `outcome` to be a failure with `code` whose message names the file and every string in `mentions`.
    func expectFailure(_ outcome: Outcome, _ code: EngineError.Code, _ mentions: [String], file: String = "corrupt.gguf",
                       _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .failed(let e) = outcome else {
            Issue.record("\(what): expected \(code), got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(e.code == code, "\(what): \(e)", sourceLocation: sourceLocation)
        for m in [file] + mentions {
            #expect(e.message.contains(m), "\(what): '\(e.message)' should mention '\(m)'", sourceLocation: sourceLocation)
        }
    }

    @Test func byte489IsTheHighByteOfBlockCount() throws {
        let c = try Copy()
        let blockCount = try c.valueOffset(of: "llama.block_count")
        #expect(blockCount + 3 == 489)
        for (byte, layers) in [(UInt8(0xFF), 4_278_190_110), (0x01, 16_777_246), (0x80, 2_147_483_678)] {
            expectFailure(try c.load(patching: [byte], at: 489), .invalidArgument,
                          ["llama.block_count", "\(layers)", "272 tensors"], "byte 489 = \(byte)")
        }
        expectFailure(try c.load(patching: Self.u32(0), at: blockCount), .invalidArgument,
                      ["llama.block_count", "= 0", "positive"], "block_count 0")
        // One layer more than the file holds: the tensor index cannot hold it.
        expectFailure(try c.load(patching: Self.u32(31), at: blockCount), .invalidArgument,
                      ["llama.block_count", "31"], "block_count 31")
        // Fewer layers than stored: a smaller, valid model.
        guard case .loaded = try c.load(patching: Self.u32(2), at: blockCount) else {
            Issue.record("block_count 2 should load")
            return
        }
    }

    @Test func hyperparametersOutOfRange() throws {
        let c = try Copy()
        let dim = try c.valueOffset(of: "llama.embedding_length")
        let heads = try c.valueOffset(of: "llama.attention.head_count")
        let kvHeads = try c.valueOffset(of: "llama.attention.head_count_kv")
        let ffn = try c.valueOffset(of: "llama.feed_forward_length")
        let eps = try c.valueOffset(of: "llama.attention.layer_norm_rms_epsilon")
        // Sizes the tensors cannot have: a shape error naming the tensor, or an overflow, never an allocation.
        for (offset, field) in [(dim, "embedding_length"), (ffn, "feed_forward_length")] {
            for v: UInt32 in [0xFFFF_FFFF, 0x8000_0000, 577] {
                let outcome = try c.load(patching: Self.u32(v), at: offset)
                guard case .failed(let e) = outcome else { Issue.record("\(field) = \(v) loaded"); continue }
                #expect([.invalidArgument, .wrongTensorShape].contains(e.code) && e.message.contains("corrupt.gguf"),
                        "\(field) = \(v): \(e)")
            }
        }
        expectFailure(try c.load(patching: Self.u32(0), at: heads), .invalidArgument, ["head_count", "= 0"], "heads 0")
        expectFailure(try c.load(patching: Self.u32(1000), at: heads), .invalidArgument, ["1000"], "heads 1000")
        expectFailure(try c.load(patching: Self.u32(2), at: kvHeads), .invalidArgument, ["head_count_kv 2"], "kv heads 2")
        expectFailure(try c.load(patching: Self.u32(0x7FC0_0000), at: eps), .missingMetadata,
                      ["layer_norm_rms_epsilon", "nan"], "epsilon NaN")
    }

    @Test func headerCountsAndLengthsOutOfRange() throws {
        let c = try Copy()
        let tokens = try c.valueOffset(of: "tokenizer.ggml.tokens")
        let cases: [(String, Int, [UInt8], [String])] = [
            ("magic", 0, Array("GGML".utf8), ["not a GGUF file"]),
            ("version", 4, Self.u32(4), ["version 4"]),
            ("tensor count", 8, Self.u64(UInt64.max), ["tensor count"]),
            ("tensor count", 8, Self.u64(1 << 40), ["tensor count 1099511627776"]),
            ("metadata count", 16, Self.u64(1 << 40), ["metadata count 1099511627776"]),
            ("first key length", 24, Self.u64(UInt64.max), ["key of metadata entry 0", "\(UInt64.max)"]),
            ("block_count key length", 457, Self.u64(1 << 50), ["key of metadata entry 9"]),
            ("tokens element count", tokens + 4, Self.u64(UInt64(Int.max)), ["tokenizer.ggml.tokens", "\(Int.max)"]),
            ("tokens element type", tokens, Self.u32(77), ["tokenizer.ggml.tokens", "77"]),
        ]
        for (what, offset, patch, mentions) in cases {
            expectFailure(try c.load(patching: patch, at: offset), .unreadableFile, mentions, what)
        }
    }

    @Test func tensorInfosOutOfRange() throws {
        let c = try Copy()
        // token_embd.weight is the first tensor: name, u32 dimension count, dims, u32 type, u64 offset.
        let t = try #require(c.header.tensors.first)
        #expect(t.name == TensorName.tokenEmbedding && t.dimensions == [576, 49152])
        let nameEnd = try c.valueOffset(of: t.name) - 4
        let (dimCount, dims, type, offset) = (nameEnd, nameEnd + 4, nameEnd + 20, nameEnd + 24)
        let cases: [(String, Int, [UInt8], [String])] = [
            ("dimension count 0", dimCount, Self.u32(0), ["0 dimensions"]),
            ("dimension count 5", dimCount, Self.u32(5), ["5 dimensions"]),
            ("rows 2^62", dims + 8, Self.u64(1 << 62), ["token_embd.weight", "overflows"]),
            ("rows past the file", dims + 8, Self.u64(1 << 30), ["token_embd.weight", "past end of file"]),
            ("type 99", type, Self.u32(99), ["token_embd.weight", "99"]),
            ("offset past the file", offset, Self.u64(1 << 40), ["token_embd.weight", "past end of file"]),
            ("misaligned offset", offset, Self.u64(7), ["token_embd.weight", "alignment"]),
        ]
        for (what, at, patch, mentions) in cases {
            expectFailure(try c.load(patching: patch, at: at), .unreadableFile, mentions, what)
        }
        // A row length of 0 makes 0 elements and 0 bytes, which the reader accepts; the loader then refuses 2^62 rows
        // as a vocabulary (its size products overflow) rather than sizing anything by it.
        expectFailure(try c.load(patching: Self.u64(0) + Self.u64(1 << 62), at: dims), .invalidArgument,
                      ["vocabulary", "overflows"], "row length 0, 2^62 rows")
        // A row length of 0 with rows that overflow when multiplied: the reader's own row count check.
        let zeroRows = try c.load(patching: Self.u32(3) + Self.u64(0) + Self.u64(1 << 62) + Self.u64(1 << 62), at: dimCount)
        guard case .failed(let e) = zeroRows else { Issue.record("0 × 2^62 × 2^62 loaded"); return }
        #expect(e.code == .unreadableFile && e.message.contains("corrupt.gguf"), "\(e)")
    }

    @Test func truncationsAreUnreadable() throws {
        let c = try Copy()
        let tokens = try c.valueOffset(of: "tokenizer.ggml.tokens")
        for length in [0, 3, 4, 8, 20, 24, 489, 490, tokens, tokens + 1000, c.header.dataOffset - 1, c.header.dataOffset,
                       c.bytes / 2, c.bytes - 1] {
            expectFailure(try c.load(truncatedTo: length), .unreadableFile, [], file: "truncated.gguf", "first \(length) bytes")
        }
    }

    /// Seeded single-byte changes anywhere in the header (metadata and tensor index): no trap, and any failure names
    /// the file.
    @Test func randomHeaderBytesNeverCrash() throws {
        let c = try Copy()
        var state: UInt64 = 0x4845_4144_5741_5900
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var counts = (loaded: 0, failed: 0, tokenizer: 0)
        for round in 0..<40 {
            // Half of the changes land in the small part before the vocabulary, where the hyperparameters are.
            let limit = round % 2 == 0 ? 1100 : c.header.dataOffset
            let offset = Int(next() % UInt64(limit))
            let byte = UInt8(truncatingIfNeeded: next())
            switch try c.load(patching: [byte], at: offset) {
            case .loaded: counts.loaded += 1
            case .failed(let e):
                counts.failed += 1
                #expect(e.message.contains("corrupt.gguf"), "byte \(offset) = \(byte): \(e)")
            case .tokenizerFailed(let e):
                counts.tokenizer += 1
                #expect(e.message.contains("corrupt.gguf") && !e.message.contains("unexpected error type"),
                        "byte \(offset) = \(byte): \(e)")
            }
        }
        #expect(counts.failed > 0 && counts.loaded > 0, "\(counts)")
    }
}
