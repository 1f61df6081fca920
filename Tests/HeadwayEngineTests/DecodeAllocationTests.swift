#if os(Linux) && arch(x86_64)
import Glibc
import HeadwayEngine
import Testing
import HeadwayTestSupport

/// The token loop must not allocate: heap bytes in use (`mallinfo2().uordblks`) must not change over many
/// decode + sample steps once the session exists. The counter is process-wide and other suites run in parallel,
/// so a measurement is repeated until one window sees no change at all; a leaking decode never gives one.
@Suite(.serialized) struct DecodeAllocationTests {
    /// `mallinfo2().uordblks`. `<malloc.h>` is not in Swift's Glibc module, so the function is looked up with
    /// `dlsym`; on x86-64 System V a struct of more than 16 bytes is returned through a hidden pointer in the
    /// first argument register, so calling it as `void f(struct mallinfo2 *)` is ABI-equivalent.
    static func heapInUse() -> Int {
        typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return -1 }
        let fields = UnsafeMutablePointer<Int>.allocate(capacity: 10)
        defer { fields.deallocate() }
        unsafeBitCast(symbol, to: MallInfo2.self)(UnsafeMutableRawPointer(fields))
        return fields[7]  // arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost
    }

    /// The smallest |heap change| over up to 60 windows of `steps` decode steps (0 as soon as one window is clean).
    /// Windows are 10 ms apart, so a burst of allocation in a parallel suite (the server and runtime tests allocate
    /// on other threads) cannot cover all of them.
    static func measure(_ model: LlamaModel, threads: Int, steps: Int, cacheFormat: KVCacheFormat = .standard) throws -> Int {
        let pool = WorkerPool(threads: threads)
        var session = LlamaSession(model: model, contextLength: 60 * steps + 16, pool: pool, cacheFormat: cacheFormat)
        var sampler = Sampler(SamplingParameters(temperature: 0.8, topK: 40, topP: 0.9, seed: 1),
                              vocabSize: model.configuration.vocabSize)
        var token = sampler.sample(try session.prefill([1, 2, 3]))
        token = sampler.sample(try session.decode(token))  // warm up
        var smallest = Int.max
        for _ in 0..<60 {
            usleep(10_000)
            let before = heapInUse()
            precondition(before > 0, "mallinfo2 unavailable")
            for _ in 0..<steps { token = sampler.sample(try session.decode(token)) }
            let delta = heapInUse() - before
            if abs(delta) < abs(smallest) { smallest = delta }
            if delta == 0 { break }
        }
        return smallest
    }

    @Test(arguments: [1, 2])
    func decodeStepsDoNotGrowTheHeap(threads: Int) throws {
        let delta = try Self.measure(try TinyLlama().model(), threads: threads, steps: 20)
        #expect(delta == 0, "heap grew by \(delta) bytes in every window of 20 decode steps")
    }

    /// Q8_0 cache with a 4-position F16 window: every step moves a position from the window to Q8_0.
    @Test func quantizedCacheDecodeDoesNotGrowTheHeap() throws {
        let model = try TinyLlama(modelDim: 64, heads: 2, kvHeads: 1).model()
        let delta = try Self.measure(model, threads: 2, steps: 20, cacheFormat: KVCacheFormat("q8_0:1:4")!)
        #expect(delta == 0, "heap grew by \(delta) bytes in every window of 20 decode steps")
    }

    @Test(.enabled(if: TestModel.isEnabled))
    func realModelDecodeDoesNotGrowTheHeap() throws {
        let model = try LlamaModel(path: try TestModel.requiredPath())
        let delta = try Self.measure(model, threads: 2, steps: 5)
        #expect(delta == 0, "heap changed by \(delta) bytes in every window of 5 decode steps")
    }
}
#endif
