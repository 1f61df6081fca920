/// How a K/V cache stores its positions.
///
/// - `f16`: every key and value in F16, the arithmetic of llama.cpp's default cache (2 bytes per number).
/// - `q8_0`: positions in GGML's Q8_0 blocks (32 numbers share one F16 scale: 34 bytes per 32 numbers, 47% less),
///   except the first `sinkPositions` positions and the `recentPositions` most recent ones, which stay in F16.
///
/// Why the two F16 regions: the first positions of a sequence collect a large share of every head's attention
/// ("attention sinks", Xiao et al., StreamingLLM, 2023) and the most recent positions carry most of the local
/// context; both are where 8-bit rounding moves the output most (KIVI, Liu et al., 2024, keeps a full-precision
/// window of recent tokens for the same reason). A position moves from the recent window to Q8_0 when it ages out.
/// `headway bench engine --cache-quality` measures what each format costs (KL divergence against `f16`).
public struct KVCacheFormat: Sendable, Hashable, CustomStringConvertible {
    public enum Storage: String, Sendable, CaseIterable {
        case f16
        case q8_0

        /// The storage's number in cache snapshots (`KVCache.serialized(layer:group:)`).
        var code: UInt32 {
            switch self {
            case .f16: 0
            case .q8_0: 1
            }
        }

        init?(code: UInt32) {
            guard let s = Storage.allCases.first(where: { $0.code == code }) else { return nil }
            self = s
        }
    }

    public var storage: Storage
    /// Leading positions kept in F16 (for `q8_0`).
    public var sinkPositions: Int
    /// Most recent positions kept in F16 (for `q8_0`).
    public var recentPositions: Int

    public init(storage: Storage, sinkPositions: Int = 0, recentPositions: Int = 0) {
        precondition(sinkPositions >= 0 && recentPositions >= 0, "negative F16 region")
        self.storage = storage
        self.sinkPositions = storage == .f16 ? 0 : sinkPositions
        self.recentPositions = storage == .f16 ? 0 : recentPositions
    }

    /// Largest SINKS or RECENT that `init?(_:)` accepts (2^30 positions, far past any context length).
    public static let maxRegionPositions = 1 << 30

    /// All F16: the numbers of llama.cpp's default cache.
    public static let f16 = KVCacheFormat(storage: .f16)
    /// All Q8_0 (llama.cpp's `--cache-type-k q8_0 --cache-type-v q8_0`).
    public static let q8_0 = KVCacheFormat(storage: .q8_0)
    /// The engine's default: Q8_0 with 4 sink positions and the 128 most recent positions in F16.
    public static let standard = KVCacheFormat(storage: .q8_0, sinkPositions: 4, recentPositions: 128)

    /// `f16`, `q8_0`, or `q8_0:SINKS:RECENT` (e.g. `q8_0:4:128`, the default).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let storage = Storage(rawValue: parts[0]) else { return nil }
        switch (storage, parts.count) {
        case (_, 1): self.init(storage: storage)
        case (.q8_0, 3):
            // Counts of positions; bounded so that sums and byte sizes made from them cannot overflow.
            guard let s = Int(parts[1]), let r = Int(parts[2]), (0...Self.maxRegionPositions).contains(s),
                (0...Self.maxRegionPositions).contains(r)
            else { return nil }
            self.init(storage: storage, sinkPositions: s, recentPositions: r)
        default: return nil
        }
    }

    public var description: String {
        switch storage {
        case .f16: "f16"
        case .q8_0: sinkPositions == 0 && recentPositions == 0 ? "q8_0" : "q8_0:\(sinkPositions):\(recentPositions)"
        }
    }

    /// F16 slots a cache of this format keeps for `capacity` positions.
    func fullSlots(capacity: Int) -> Int {
        storage == .f16 ? capacity : min(capacity, sinkPositions + recentPositions)
    }

    /// Bytes of one Q8_0 row of `headDim` numbers.
    static func packedRowBytes(headDim: Int) -> Int { headDim / 32 * 34 }

    /// Bytes a cache of this format holds for `count` positions of keys and values of `headDim` numbers each.
    public func bytes(positions count: Int, headDim: Int) -> Int {
        switch storage {
        case .f16: return 2 * count * headDim * 2
        case .q8_0:
            let full = min(count, sinkPositions + recentPositions)
            return 2 * (full * headDim * 2 + (count - full) * Self.packedRowBytes(headDim: headDim))
        }
    }
}
