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
