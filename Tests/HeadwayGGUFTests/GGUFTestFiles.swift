import HeadwayGGUF
import Testing

/// Small GGUF files and byte-patching helpers for reader tests.
enum GGUFTestFiles {
    /// A valid file: a few metadata types and three tensors (F32, Q8_0, Q4_1) whose bytes are distinct patterns.
    static func sample(alignment: Int = 32) -> GGUFWriter {
        var w = GGUFWriter(alignment: alignment)
        w.add("general.architecture", .string("llama"))
        w.add("general.aaa", .uint32(7))
        w.add("general.bbb", .bool(true))
        w.add("tokenizer.ggml.tokens", .array([.string("a"), .string("b"), .string("ab")]))
        w.add("test.scale", .float32(0.5))
        w.addTensor("aaa.weight", float32: (0..<10).map(Float.init), dimensions: [10])
        w.addTensor("bbb.weight", type: .q8_0, dimensions: [32, 2], bytes: pattern(68, seed: 3))
        w.addTensor("ccc.weight", type: .q4_1, dimensions: [64], bytes: pattern(40, seed: 5))
        return w
    }

    static func pattern(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 1) }
    }

    static func index(of needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }

    /// Position just past the first occurrence of `text` (a key or tensor name) in the file.
    static func end(of text: String, in bytes: [UInt8]) -> Int {
        let needle = Array(text.utf8)
        guard let i = index(of: needle, in: bytes) else { fatalError("'\(text)' not in test file") }
        return i + needle.count
    }

    static func put<T: FixedWidthInteger>(_ value: T, at position: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (k, b) in raw.enumerated() { bytes[position + k] = b }
        }
    }

    /// Positions of a tensor info's fields, for a tensor named `name` with `dims` dimensions.
    static func tensorFields(_ name: String, dims: Int, in bytes: [UInt8]) -> (
        dimCount: Int, dims: Int, type: Int, offset: Int
    ) {
        let p = end(of: name, in: bytes)
        return (p, p + 4, p + 4 + 8 * dims, p + 8 + 8 * dims)
    }
}

/// Expects reading `bytes` to throw a `GGUFError` with `code` whose message mentions every string in `mentions`.
func expectGGUFError(
    _ code: GGUFError.Code, mentioning mentions: [String], reading bytes: [UInt8], name: String = "test.gguf",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let f = try GGUFFile(bytes: bytes, name: name)
        Issue.record(
            "expected \(code), but the file parsed with \(f.tensors.count) tensors", sourceLocation: sourceLocation)
    } catch let e as GGUFError {
        #expect(e.code == code, "message: \(e.message)", sourceLocation: sourceLocation)
        for m in [name] + mentions {
            #expect(e.message.contains(m), "'\(e.message)' should mention '\(m)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected GGUFError, got \(error)", sourceLocation: sourceLocation)
    }
}
