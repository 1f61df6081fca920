import HeadwayEngine

/// Seeded random floats in [-scale, scale).
func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
}

/// Largest |a − b| over two equal-length arrays.
func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Largest |a| of an array.
func maxAbs(_ a: [Float]) -> Float { a.reduce(0) { max($0, abs($1)) } }
