import Foundation

/// How the next token is chosen from the logits.
public struct SamplingParameters: Sendable, Hashable {
    /// 0 → greedy (argmax). Otherwise logits are divided by it before the softmax.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens (0 → no limit).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1 → no limit).
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 40, topP: Float = 0.95, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)
}

/// Picks tokens from logits: greedy, or temperature + top-k + top-p with a seeded `SplitMix64`.
/// Candidate buffers are allocated once (vocabulary size); `sample` does not allocate.
public struct Sampler {
    public let parameters: SamplingParameters
    private var rng: SplitMix64
    private var ids: [Int32]
    private var values: [Float]

    public init(_ parameters: SamplingParameters, vocabSize: Int) {
        self.parameters = parameters
        rng = SplitMix64(seed: parameters.seed)
        ids = [Int32](repeating: 0, count: vocabSize)
        values = [Float](repeating: 0, count: vocabSize)
    }

    /// Index of the largest logit (the first one on ties).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<logits.count where logits[i] > bestValue {
            best = i
            bestValue = logits[i]
        }
        return Int32(best)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let p = parameters
        if p.temperature <= 0 || p.topK == 1 { return Self.argmax(logits) }
        precondition(logits.count <= ids.count, "logits (\(logits.count)) exceed the sampler's vocabulary (\(ids.count))")
        let k = p.topK > 0 ? min(p.topK, logits.count) : logits.count
        let u = rng.nextUnitFloat()
        return ids.withUnsafeMutableBufferPointer { ids in
            values.withUnsafeMutableBufferPointer { values in
                let n = Self.selectTop(k, of: logits, ids: ids, values: values)
                // Softmax with temperature over the sorted candidates, then the top-p cut.
                let maxValue = values[0]
                var total: Float = 0
                for i in 0..<n {
                    values[i] = expf((values[i] - maxValue) / p.temperature)
                    total += values[i]
                }
                var kept = n
                if p.topP < 1 {
                    var cumulative: Float = 0
                    for i in 0..<n {
                        cumulative += values[i]
                        if cumulative >= p.topP * total {
                            kept = i + 1
                            total = cumulative
                            break
                        }
                    }
                }
                let target = u * total
                var cumulative: Float = 0
                for i in 0..<kept {
                    cumulative += values[i]
                    if target < cumulative { return ids[i] }
                }
                return ids[kept - 1]
            }
        }
    }

    /// Puts the `k` largest logits in `values[0..<k]` (descending) with their ids; returns `k`.
    /// A size-`k` min-heap, then heap sort: no allocation.
    static func selectTop(
        _ k: Int, of logits: UnsafeBufferPointer<Float>, ids: UnsafeMutableBufferPointer<Int32>,
        values: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        func siftDown(_ start: Int, _ end: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                if l >= end { return }
                var m = l
                if l + 1 < end && values[l + 1] < values[l] { m = l + 1 }
                if values[m] >= values[i] { return }
                values.swapAt(i, m)
                ids.swapAt(i, m)
                i = m
            }
        }
        for i in 0..<k {
            values[i] = logits[i]
            ids[i] = Int32(i)
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i, k) }
        for i in k..<logits.count where logits[i] > values[0] {
            values[0] = logits[i]
            ids[0] = Int32(i)
            siftDown(0, k)
        }
        // Heap sort of a min-heap leaves the values in descending order.
        var end = k
        while end > 1 {
            end -= 1
            values.swapAt(0, end)
            ids.swapAt(0, end)
            siftDown(0, end)
        }
        return k
    }
}
