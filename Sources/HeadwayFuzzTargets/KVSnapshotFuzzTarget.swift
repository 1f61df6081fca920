import HeadwayEngine
import HeadwayGGUF

/// K/V cache snapshots (`KVCache.restore(from:layer:group:)`), as a migrating block's cache arrives from another
/// device. Each input is restored into two blocks of a tiny model, one with an F16 cache and one with a Q8_0 cache
/// (2 sink and 4 recent positions in F16), both of capacity 16. An accepted snapshot must serialize back to exactly
/// the same bytes.
public enum KVSnapshotFuzzTarget: FuzzTarget {
    public static let name = "kv-snapshot"

    static let capacity = 16
    static let formats: [KVCacheFormat] = [.f16, KVCacheFormat(storage: .q8_0, sinkPositions: 2, recentPositions: 4)]

    /// The block whose caches inputs are restored into, and one empty cache per format; made once.
    static let block: AttentionBlock = {
        // The tiny model is made by this package; failing to load it is a bug here, not a finding.
        let model = try! LlamaModel(file: GGUFFile(bytes: FuzzModels.tiny(headDim: 32), name: "kv-fuzz.gguf"))
        return model.attentionBlock(layer: 0, group: 0, positions: capacity)
    }()
    static let caches: [KVCache] = formats.map { block.makeCache(capacity: capacity, format: $0) }

    public static var maxInputBytes: Int { 8192 }

    public static func seeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for cache in caches {
            for n in [0, 1, 3, 7, capacity] {
                var c = cache
                var x = [Float](repeating: 0, count: block.configuration.modelDim)
                for t in 0..<n {
                    for i in x.indices { x[i] = Float((t * 31 + i * 7) % 17) / 8 - 1 }
                    _ = block(x, cache: &c)
                }
                out.append(c.serialized(layer: 0, group: 0))
            }
        }
        return out
    }

    public static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool {
        let bytes = Array(input)
        var accepted = false
        for cache in caches {
            var c = cache
            do {
                try c.restore(from: bytes, layer: 0, group: 0)
            } catch {
                guard error.code == .badCacheSnapshot, error.message.contains("L0.head_0") else {
                    throw FuzzFailure("\(name): unexpected error \(error)")
                }
                continue
            }
            guard c.serialized(layer: 0, group: 0) == bytes else {
                throw FuzzFailure("\(name): accepted snapshot (\(bytes.count) bytes, format \(c.format)) does not serialize back to itself")
            }
            accepted = true
        }
        return accepted
    }
}
