#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A small persistent thread pool for the kernels: the caller and `threads − 1` workers split one job into chunks.
///
/// Chunks are claimed from one atomic word that holds the job's generation and the next chunk index, so a thread
/// that is descheduled (the machine is shared) never holds up the job: whoever runs takes the remaining chunks.
/// The caller returns once every claimed chunk has finished. Workers spin briefly for the next job (decode issues
/// a few hundred jobs per token), then sleep on a condition variable. `perform` does not allocate.
public final class WorkerPool: @unchecked Sendable {
    public let threads: Int
    /// A pool of one thread: `perform` runs every chunk on the caller.
    public static let serial = WorkerPool(threads: 1)

    /// The job being claimed: `generation << 40 | chunk count << 20 | next chunk` (one word, so a claim can never
    /// mix two jobs).
    private let claim = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int, Int) -> Void)?
    private var generation: UInt64 = 0
    private static let maxChunks = 1 << 20
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var workers: [pthread_t] = []
    /// Polls of the claim word a worker makes before it sleeps (~0.1–1 ms).
    private let spinLimit = 100_000

    public init(threads: Int) {
        precondition(threads >= 1, "a worker pool needs at least one thread, got \(threads)")
        self.threads = threads
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 1..<threads {
            let context = Unmanaged.passRetained(WorkerContext(pool: self)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop()
                return nil
            }, context)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            workers.append(thread)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        claim.store(((generation + 1) & 0xFF_FFFF) << 40, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for t in workers { pthread_join(t, nil) }
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(chunk, chunks)` for every chunk in `0..<chunks` (default: one per thread), spread over the
    /// pool's threads, and returns when all have finished. A chunk index is never run twice, so per-chunk scratch
    /// (`chunk · size`) needs no locking.
    public func perform(chunks: Int? = nil, _ body: (_ chunk: Int, _ chunks: Int) -> Void) {
        let n = chunks ?? threads
        precondition(n >= 0 && n < Self.maxChunks, "chunk count \(n) out of range")
        if threads == 1 || n <= 1 {
            for c in 0..<n { body(c, n) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            generation = (generation + 1) & 0xFF_FFFF
            finished.store(0, ordering: .relaxed)
            claim.store(generation << 40 | UInt64(n) << 20, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
            runChunks(escapable)
            var spins = 0
            while finished.load(ordering: .acquiring) != n {
                spins += 1
                if spins > 1_000 { sched_yield() }
            }
            job = nil
        }
    }

    /// Claims and runs chunks of the current job until none are left; returns the job's generation.
    @inline(__always)
    @discardableResult
    private func runChunks(_ body: (Int, Int) -> Void, generation gen: UInt64? = nil) -> UInt64 {
        while true {
            let state = claim.load(ordering: .acquiring)
            let g = state >> 40, count = Int(state >> 20 & 0xF_FFFF), next = Int(state & 0xF_FFFF)
            if let gen, g != gen { return g }
            guard next < count else { return g }
            if claim.compareExchange(expected: state, desired: state + 1, ordering: .acquiringAndReleasing).exchanged {
                body(next, count)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    /// Chunks for splitting `rows` matrix rows: four per thread (so a descheduled thread's share is picked up by
    /// the others), at least 32 rows each.
    @inline(__always)
    public func chunksFor(rows: Int) -> Int { max(1, min(4 * threads, rows / 32)) }

    /// The half-open range of `0..<count` that part `part` of `parts` handles (contiguous, sizes differ by ≤ 1).
    @inline(__always)
    public static func split(_ count: Int, part: Int, parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            var state = claim.load(ordering: .acquiring)
            while state >> 40 == seen {
                spins += 1
                if spins >= spinLimit {
                    pthread_mutex_lock(&mutex)
                    while claim.load(ordering: .sequentiallyConsistent) >> 40 == seen {
                        pthread_cond_wait(&condition, &mutex)
                    }
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
                state = claim.load(ordering: .acquiring)
            }
            seen = state >> 40
            if stopping.load(ordering: .acquiring) { return }
            // Holding an unfinished chunk of job `seen` keeps the caller waiting, so `job` stays valid while it runs.
            runChunks({ chunk, count in self.job!(chunk, count) }, generation: seen)
        }
    }
}

private final class WorkerContext {
    unowned(unsafe) let pool: WorkerPool
    init(pool: WorkerPool) { self.pool = pool }
}
