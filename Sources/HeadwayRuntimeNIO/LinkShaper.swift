import Foundation
import HeadwayEngine
import HeadwayRuntime

/// Emulates a slower link inside the worker, for tests and demos on one machine (where the kernel may have no
/// netem): each direction is a FIFO link of `bitsPerSecond` with a one-way `delay`. A message of `s` bytes departs
/// when the link is free (`max(now, free)`), occupies it for `8·s / rate`, and arrives `delay` later, never before
/// the message ahead of it (TCP order). The coordinator measures what it sees, as it would on a real link.
public final class LinkShaper: @unchecked Sendable {
    public private(set) var bitsPerSecond: Double
    public private(set) var delay: Double
    private let lock = NSLock()
    private var free: [Double] = [0, 0]
    private var last: [Double] = [0, 0]

    public init(bitsPerSecond: Double, delay: Double) {
        self.bitsPerSecond = bitsPerSecond
        self.delay = delay
    }

    /// Changes the link (applies to messages sent from now on).
    public func set(bitsPerSecond: Double, delay: Double) {
        lock.lock()
        self.bitsPerSecond = bitsPerSecond
        self.delay = delay
        lock.unlock()
    }

    /// Follows a profile file: one line `MBIT_PER_S DELAY_MS` (0 Mbit/s: unshaped), re-read when it changes, so an
    /// experiment can slow or speed a link during a run.
    public func follow(file path: String, log: @escaping @Sendable (String) -> Void) {
        Thread.detachNewThread { [self] in
            var last = ""
            while true {
                if let text = try? String(contentsOfFile: path, encoding: .utf8), text != last {
                    last = text
                    let parts = text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
                    if parts.count == 2, parts[0] >= 0, parts[1] >= 0, parts[0].isFinite, parts[1] <= 10_000 {
                        set(bitsPerSecond: parts[0] * 1e6, delay: parts[1] / 1e3)
                        log("link profile: \(parts[0]) Mbit/s, \(parts[1]) ms")
                    } else {
                        log("link profile \(path): expected 'MBIT_PER_S DELAY_MS', got '\(text.prefix(40))'")
                    }
                }
                usleep(100_000)
            }
        }
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
    public static func wait(until t: Double) { DeviceExecutor.sleep(seconds: t - monotonicSeconds()) }
}
