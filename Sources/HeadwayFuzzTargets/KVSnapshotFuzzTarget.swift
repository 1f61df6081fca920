import HeadwayEngine
import HeadwayGGUF

/// K/V cache snapshots (`AttentionBlock.restoreCache(from:)`), as a migrating block's cache arrives from another
/// device. Each input is restored into two blocks of a tiny model, one with an F16 cache and one with a Q8_0 cache
/// (2 sink and 4 recent positions in F16), both of capacity 16. An accepted snapshot must serialize back to exactly
/// the same bytes.
public enum KVSnapshotFuzzTarget: FuzzTarget {
    public static let name = "kv-snapshot"

    static let capacity = 16
    static let formats: [KVCacheFormat] = [.f16, KVCacheFormat(storage: .q8_0, sinkPositions: 2, recentPositions: 4)]

    /// The blocks inputs are restored into (empty caches); made once.
    static let blocks: [AttentionBlock] = {
        // The tiny model is made by this package; failing to load it is a bug here, not a finding.
        let model = try! LlamaModel(file: GGUFFile(bytes: FuzzModels.tiny(headDim: 32), name: "kv-fuzz.gguf"))
        return formats.map { model.attentionBlock(layer: 0, group: 0, capacity: capacity, cacheFormat: $0) }
    }()

    public static var maxInputBytes: Int { 8192 }

    public static func seeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for block in blocks {
            for n in [0, 1, 3, 7, capacity] {
                var b = block
                var x = [Float](repeating: 0, count: b.configuration.modelDim)
                for t in 0..<n {
                    for i in x.indices { x[i] = Float((t * 31 + i * 7) % 17) / 8 - 1 }
                    _ = b(x)
                }
                out.append(b.serializedCache())
            }
        }
        return out
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let bytes = Array(input)
        var accepted = false
        for block in blocks {
            var b = block
            do {
                try b.restoreCache(from: bytes)
            } catch {
                guard error.code == .badCacheSnapshot, error.message.contains("L0.head_0") else {
                    throw FuzzFailure("\(name): unexpected error \(error)")
                }
                continue
            }
            guard b.serializedCache() == bytes else {
                throw FuzzFailure("\(name): accepted snapshot (\(bytes.count) bytes, format \(b.cache.format)) does not serialize back to itself")
            }
            accepted = true
        }
        return accepted
    }
}
