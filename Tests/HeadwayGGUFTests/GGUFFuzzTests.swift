import HeadwayGGUF
import Testing

/// Truncates and corrupts a valid file at every position: the reader must throw `GGUFError` or return a file whose
/// tensors all lie inside it; it must never crash or throw anything else.
@Suite struct GGUFFuzzTests {
    let valid = GGUFTestFiles.sample().serialize()

    /// Parses and checks the invariants of whatever parses. Returns whether it parsed.
    func parse(_ bytes: [UInt8], _ what: String) -> Bool {
        do {
            let f = try GGUFFile(bytes: bytes)
            for t in f.tensors {
                #expect(t.offset % f.alignment == 0 && t.offset >= f.dataOffset, "\(what): \(t.name)")
                #expect(t.offset + t.byteCount <= bytes.count, "\(what): \(t.name)")
            }
            return true
        } catch is GGUFError {
            return false
        } catch {
            Issue.record("\(what): unexpected error \(error)")
            return false
        }
    }

    @Test func everyTruncationThrowsUntilTheLastTensorIsComplete() throws {
        let f = try GGUFFile(bytes: valid)
        let lastEnd = f.tensors.map { $0.offset + $0.byteCount }.max()!
        #expect(lastEnd < valid.count, "the sample ends with padding")
        for length in 0...valid.count {
            let parsed = parse(Array(valid.prefix(length)), "prefix \(length)")
            #expect(parsed == (length >= lastEnd), "prefix of \(length) bytes (last tensor ends at \(lastEnd))")
        }
    }

    @Test func everyHeaderByteCorruptedNeverCrashes() throws {
        let dataOffset = try GGUFFile(bytes: valid).dataOffset
        var parsed = 0
        for position in 0..<dataOffset {
            for replacement: UInt8 in [0x00, 0xFF, 0x7F, 0x80, valid[position] ^ 0x01, valid[position] &+ 1] {
                var b = valid
                b[position] = replacement
                if parse(b, "byte \(position) = \(replacement)") { parsed += 1 }
            }
        }
        // Some corruptions are harmless (string contents, values, padding); most are caught.
        #expect(parsed > 0 && parsed < dataOffset * 6)
    }

    @Test func randomMultiByteCorruptionNeverCrashes() {
        var rng = SplitMix64(seed: 0x6767_7566)
        for round in 0..<3000 {
            var b = valid
            for _ in 0..<Int(rng.next() % 6 + 1) {
                let p = Int(rng.next() % UInt64(b.count))
                b[p] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { b.removeLast(Int(rng.next() % UInt64(b.count))) }
            _ = parse(b, "round \(round)")
        }
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
