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
        let make = UnsafeMutablePointer<Float>.zeroed
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
