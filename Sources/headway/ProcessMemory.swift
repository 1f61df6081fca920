import Foundation

/// Resident-memory and heap figures of this process (Linux).
enum ProcessMemory {
    /// `VmHWM` (peak resident set) from /proc/self/status, in bytes.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// `mallinfo2().uordblks`, looked up with `dlsym` (`<malloc.h>` is not in Swift's Glibc module). On x86-64
    /// System V a struct of more than 16 bytes is returned through a hidden pointer in the first argument register,
    /// so calling it as `void f(struct mallinfo2 *)` is ABI-equivalent.
    static func heapInUse() -> Int? {
        #if os(Linux) && arch(x86_64)
        typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
        let fields = UnsafeMutablePointer<Int>.allocate(capacity: 10)
        defer { fields.deallocate() }
        unsafeBitCast(symbol, to: MallInfo2.self)(UnsafeMutableRawPointer(fields))
        return fields[7]
        #else
        return nil
        #endif
    }
}
