import HeadwayEngine
import Testing

@Suite struct WorkerPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyPartRunsOncePerJob(threads: Int) {
        let pool = WorkerPool(threads: threads)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        for _ in 0..<2000 {
            pool.perform { part, parts in
                precondition(parts == threads)
                counts[part] += 1
            }
        }
        #expect(Array(counts) == [Int](repeating: 2000, count: threads))
    }

    @Test(arguments: [2, 3])
    func everyChunkRunsExactlyOnce(threads: Int) {
        let pool = WorkerPool(threads: threads)
        for chunks in [1, 2, 5, 17, 64] {
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            for _ in 0..<300 {
                pool.perform(chunks: chunks) { chunk, n in
                    precondition(n == chunks)
                    counts[chunk] += 1  // each chunk index is claimed by exactly one thread
                }
            }
            #expect(Array(counts) == [Int](repeating: 300, count: chunks), "chunks=\(chunks)")
        }
    }

    @Test func splitPartitionsTheRange() {
        for count in [0, 1, 5, 576, 577] {
            for parts in 1...4 {
                let ranges = (0..<parts).map { WorkerPool.split(count, part: $0, parts: parts) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                for i in 1..<parts { #expect(ranges[i - 1].upperBound == ranges[i].lowerBound) }
            }
        }
    }
}
