extension UnsafeMutablePointer where Pointee == Float {
    /// `count` floats set to zero (room for at least 16), 64-byte aligned for the SIMD kernels: the buffers of
    /// sessions, devices and the coordinator, allocated once and freed with `deallocate()`.
    public static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = Swift.max(count, 16)
        let p = UnsafeMutableRawPointer.allocate(byteCount: 4 * n, alignment: 64).bindMemory(to: Float.self, capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }
}
