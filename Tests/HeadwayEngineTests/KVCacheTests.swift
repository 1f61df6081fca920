import Foundation
import HeadwayEngine
import Testing

@Suite struct KVCacheTests {
    static let headDim = 64

    /// Deterministic numbers with a few large outliers, like real keys.
    static func row(_ seed: Int) -> [Float] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<headDim).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            return i % 29 == 3 ? 40 * u : 3 * u
        }
    }

    static func dequantized(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        Kernels.addScaledQ8_0Reference(Quantize.row(x, as: .q8_0), scale: 1, into: &out)
        return out
    }

    static func cache(_ format: KVCacheFormat, positions: Int, capacity: Int = 40) -> KVCache {
        var c = KVCache(headDim: headDim, capacity: capacity, format: format)
        for p in 0..<positions { c.append(key: row(2 * p), value: row(2 * p + 1)) }
        return c
    }

    @Test func q8Kernels_matchTheirReferences() {
        for seed in 0..<20 {
            let x = Self.row(seed)
            for set in KernelSet.available {
                #expect(Kernels.quantizeQ8_0(x, kernels: set) == Kernels.quantizeQ8_0Reference(x), "\(set)")
            }
            let q = Kernels.quantizeQ8_0(x)
            var fast = Self.row(seed + 100), slow = fast
            Kernels.addScaledQ8_0(q, scale: 0.37, into: &fast)
            Kernels.addScaledQ8_0Reference(q, scale: 0.37, into: &slow)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        }
        #expect(Kernels.quantizeQ8_0([Float](repeating: 0, count: 32)).dropFirst(2).allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        KVCacheFormat.f16, .q8_0, KVCacheFormat("q8_0:2:3")!, KVCacheFormat("q8_0:0:4")!, KVCacheFormat("q8_0:3:0")!,
        KVCacheFormat("q8_0:50:50")!,
    ])
    func positionsAreStoredWhereTheFormatSays(_ format: KVCacheFormat) {
        let n = 23
        let c = Self.cache(format, positions: n)
        for p in 0..<n {
            let inF16 = format.storage == .f16 || p < format.sinkPositions || p >= n - format.recentPositions
            // A position that aged out of the F16 window is quantized from its F16 numbers.
            func stored(_ x: [Float]) -> [Float] {
                let half = x.map { Float(Float16($0)) }
                return inF16 ? half : Self.dequantized(format.recentPositions > 0 ? half : x)
            }
            let expectedKey = stored(Self.row(2 * p)), expectedValue = stored(Self.row(2 * p + 1))
            let (k, v) = c.entry(p)
            #expect(k == expectedKey, "\(format) key \(p)")
            #expect(v == expectedValue, "\(format) value \(p)")
        }
        let full = format.storage == .f16 ? n : min(n, format.sinkPositions + format.recentPositions)
        #expect(c.filledBytes == 2 * (full * 2 * Self.headDim + (n - full) * 68))
        #expect(c.filledBytes == format.bytes(positions: n, headDim: Self.headDim))
    }

    /// Plain attention over the cache's stored numbers (`entry`), with the engine's roundings.
    static func referenceAttention(_ c: KVCache, query: [Float], length: Int) -> [Float] {
        let q = query.map { Float(Float16($0)) }
        let scale = 1 / Float(headDim).squareRoot()
        var scores = (0..<length).map { p in zip(c.entry(p).key, q).map(*).reduce(0, +) * scale }
        let m = scores.max()!
        scores = scores.map { expf($0 - m) }
        let sum = scores.reduce(0, +)
        scores = scores.map { Float(Float16($0 / sum)) }
        var out = [Float](repeating: 0, count: headDim)
        for p in 0..<length {
            let v = c.entry(p).value
            for i in 0..<headDim { out[i] += scores[p] * v[i] }
        }
        return out
    }

    @Test(arguments: [KVCacheFormat.f16, .q8_0, KVCacheFormat("q8_0:2:5")!, KVCacheFormat("q8_0:0:7")!,
                      KVCacheFormat("q8_0:4:20")!])
    func attentionReadsEveryRegionAndTheRing(_ format: KVCacheFormat) {
        let n = 70
        let c = Self.cache(format, positions: n, capacity: 80)
        for length in [1, 2, 3, 9, 16, 17, 24, 25, 33, 48, 63, 64, 69, 70] {
            let q = Self.row(1000 + length)
            let slow = Self.referenceAttention(c, query: q, length: length)
            // Every kernel set the CPU runs, each against the reference.
            for set in KernelSet.available {
                let fast = c.attention(query: q, length: length, kernels: set)
                let diff = zip(fast, slow).map { abs($0 - $1) }.max()!
                #expect(diff <= 1e-4, "\(format) length \(length) kernels \(set): max diff \(diff)")
            }
        }
    }

    @Test func truncatingKeepsEveryRemainingPositionReadable() {
        let format = KVCacheFormat("q8_0:2:4")!
        var c = Self.cache(format, positions: 20)
        let before = (0..<20).map { c.entry($0) }
        c.truncate(to: 17)  // inside the ring
        #expect(c.count == 17 && c.packedEnd == 16)
        c.truncate(to: 9)   // below the ring: everything after the sinks is in Q8_0
        #expect(c.count == 9 && c.packedEnd == 9)
        for p in 0..<9 { #expect(c.entry(p).key == before[p].key && c.entry(p).value == before[p].value) }
        for p in 9..<14 { c.append(key: Self.row(500 + p), value: Self.row(600 + p)) }
        #expect(c.count == 14 && c.packedEnd == 10)
        for p in 0..<9 { #expect(c.entry(p).key == before[p].key) }
        #expect(c.entry(13).key == Self.row(513).map { Float(Float16($0)) })
        c.truncate(to: 1)
        #expect(c.count == 1 && c.packedEnd == 2)
    }

    @Test func formatsParseAndPrint() {
        #expect(KVCacheFormat("f16") == .f16)
        #expect(KVCacheFormat("q8_0") == .q8_0)
        #expect(KVCacheFormat("q8_0:4:128") == .standard)
        #expect(KVCacheFormat.standard.description == "q8_0:4:128")
        for bad in ["", "f32", "q8_0:4", "q8_0:-1:3", "q8_0:a:b", "f16:1:2", "q8_0:1:2:3"] {
            #expect(KVCacheFormat(bad) == nil, "'\(bad)' parsed")
        }
        #expect(!KVCacheFormat.q8_0.supports(headDim: 16) && KVCacheFormat.f16.supports(headDim: 16))
        // 2048 positions of SmolLM2's 64-number heads: F16 256 KiB, Q8_0 with 132 F16 positions 141,312 bytes.
        #expect(KVCacheFormat.f16.bytes(positions: 2048, headDim: 64) == 524_288)
        #expect(KVCacheFormat.standard.bytes(positions: 2048, headDim: 64) == 2 * (132 * 128 + 1916 * 68))
    }
}
