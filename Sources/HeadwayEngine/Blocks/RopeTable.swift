/// cos/sin of every RoPE angle for positions `0..<capacity`: `headDim / 2` pairs per position, computed once
/// (with `Kernels.ropeAngles`) and shared by all attention blocks of a session instead of calling
/// `cosf`/`sinf` per block and token. Immutable.
public final class RopeTable: Sendable {
    public let headDim: Int
    public let base: Float
    public let capacity: Int
    /// `capacity × headDim`: for position p, `headDim / 2` cosines then `headDim / 2` sines.
    private let table: [Float]

    public init(headDim: Int, base: Float, capacity: Int) {
        self.headDim = headDim
        self.base = base
        self.capacity = capacity
        var t = [Float](repeating: 0, count: capacity * headDim)
        t.withUnsafeMutableBufferPointer { p in
            for pos in 0..<capacity {
                let row = p.baseAddress! + pos * headDim
                Kernels.ropeAngles(position: pos, headDim: headDim, base: base, cos: row, sin: row + headDim / 2)
            }
        }
        table = t
    }

    /// Calls `body(cos, sin)` for `position`.
    @inline(__always)
    func withAngles<R>(_ position: Int, _ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        precondition(position < capacity, "position \(position) beyond the RoPE table (\(capacity))")
        return table.withUnsafeBufferPointer { p in
            let row = p.baseAddress! + position * headDim
            return body(row, row + headDim / 2)
        }
    }
}
