import HeadwayEngine

/// Buffers of a device's jobs, allocated when the longest context grows (not per job).
final class ExecutorWorkspace {
    let capacity: Int
    let x, heads, out, scratch: UnsafeMutablePointer<Float>
    let blocks: UnsafeMutablePointer<AttentionBlock>
    let caches: UnsafeMutablePointer<KVCache>
    let views: UnsafeMutablePointer<KVCacheView>

    init(_ c: LlamaConfiguration, tokens n: Int, capacity: Int, threads: Int) {
        self.capacity = capacity
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 16))
            p.initialize(repeating: 0, count: max(count, 16))
            return p
        }
        x = make(n * c.modelDim)
        heads = make(n * c.queryDim)
        out = make(n * c.queryDim)
        scratch = make(LlamaSession.scratchCount(c, tokens: n, capacity: capacity, threads: threads))
        blocks = .allocate(capacity: c.kvHeadCount)
        caches = .allocate(capacity: c.kvHeadCount)
        views = .allocate(capacity: c.kvHeadCount)
        views.initialize(repeating: .empty, count: c.kvHeadCount)
    }

    deinit {
        for p in [x, heads, out, scratch] { p.deallocate() }
        blocks.deallocate()
        caches.deallocate()
        views.deallocate()
    }
}
