import Foundation
import HeadwayEngine
import HeadwayRuntime

/// Emulates a slower link inside the worker, for tests and demos on one machine (where the kernel may have no
/// netem): each direction is a FIFO link of `bitsPerSecond` with a one-way `delay`. A message of `s` bytes departs
/// when the link is free (`max(now, free)`), occupies it for `8·s / rate`, and arrives `delay` later, never before
/// the message ahead of it (TCP order). The coordinator measures what it sees, as it would on a real link.
public final class LinkShaper: @unchecked Sendable {
    public let bitsPerSecond: Double
    public let delay: Double
    private let lock = NSLock()
    private var free: [Double] = [0, 0]
    private var last: [Double] = [0, 0]

    public init(bitsPerSecond: Double, delay: Double) {
        self.bitsPerSecond = bitsPerSecond
        self.delay = delay
    }

    /// Monotonic time at which a message of `bytes` that is sent now arrives; direction 0 = to the worker, 1 = back.
    public func arrival(bytes: Int, direction: Int) -> Double {
        lock.lock()
        defer { lock.unlock() }
        let now = monotonicSeconds()
        let depart = max(now, free[direction])
        free[direction] = depart + (bitsPerSecond > 0 ? Double(8 * bytes) / bitsPerSecond : 0)
        last[direction] = max(last[direction], free[direction] + delay)
        return last[direction]
    }

    /// Sleeps until the monotonic time `t`.
    public static func wait(until t: Double) {
        let d = t - monotonicSeconds()
        guard d > 0 else { return }
        var ts = timespec(tv_sec: Int(d), tv_nsec: Int((d - Double(Int(d))) * 1e9))
        nanosleep(&ts, nil)
    }
}
