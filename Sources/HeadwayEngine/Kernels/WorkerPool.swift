#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A small persistent pool that runs one job on `threads` threads: the caller is part 0, `threads − 1` workers are
/// parts 1…. Workers spin briefly for the next job (decode issues a few hundred jobs per token), then sleep on a
/// condition variable. `perform` does not allocate.
public final class WorkerPool: @unchecked Sendable {
    public let threads: Int
    /// A pool of one thread: `perform` just calls the job.
    public static let serial = WorkerPool(threads: 1)
    private let generation = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int, Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var workers: [pthread_t] = []
    /// Spin iterations a worker polls for the next job before it sleeps.
    private let spinLimit = 200_000

    public init(threads: Int) {
        precondition(threads >= 1, "a worker pool needs at least one thread, got \(threads)")
        self.threads = threads
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for part in 1..<threads {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, part: part)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop(part: context.part)
                return nil
            }, context)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            workers.append(thread)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for t in workers { pthread_join(t, nil) }
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(part, parts)` for every part in `0..<threads` concurrently and returns when all are done.
    public func perform(_ body: (_ part: Int, _ parts: Int) -> Void) {
        if threads == 1 { return body(0, 1) }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
            escapable(0, threads)
            var spins = 0
            while finished.load(ordering: .acquiring) != threads - 1 {
                spins += 1
                if spins > 10_000 { sched_yield() }
            }
            job = nil
        }
    }

    /// The half-open range of `0..<count` that part `part` of `parts` handles (contiguous, sizes differ by ≤ 1).
    @inline(__always)
    public static func split(_ count: Int, part: Int, parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    private func workerLoop(part: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < spinLimit { continue }
                pthread_mutex_lock(&mutex)
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    pthread_cond_wait(&condition, &mutex)
                }
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            job!(part, threads)
            finished.add(1, ordering: .releasing)
        }
    }
}

private final class WorkerContext {
    unowned(unsafe) let pool: WorkerPool
    let part: Int
    init(pool: WorkerPool, part: Int) {
        self.pool = pool
        self.part = part
    }
}
