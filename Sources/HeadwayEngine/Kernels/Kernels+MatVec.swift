import CHeadwayKernels

/// Matrix–vector products `out = W · x` for `W` (rows × cols) in any `WeightType` and `x` (cols) in F32.
/// Decode spends most of its time here: the weights are read once per token from the mapped file.
extension Kernels {
    /// Reference: dequantizes each weight on its own (scalar), accumulates in `Double`.
    public static func matVecReference(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        for r in 0..<w.rows {
            let row = w.row(r)
            var acc: Double = 0
            for c in 0..<w.cols { acc += Double(weightReference(w.type, row, c)) * Double(x[c]) }
            out[r] = Float(acc)
        }
    }

    /// Fast, one thread: rows `rows` of `W · x` into `out[rows]`.
    /// F16 and F32 rows run through the kernel set's C code (`kernels`, or the set in use); the quantized types with
    /// float activations (tests and tools; the engine quantizes activations, see `matMulQ8`) use Swift SIMD.
    public static func matVec(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>,
        kernels: KernelSet? = nil
    ) {
        let xr = UnsafeRawPointer(x)
        let blocks = w.cols / 32
        switch w.type {
        case .q4_1: for r in rows { out[r] = dotQ4_1(w.row(r), xr, blocks: blocks) }
        case .q8_0: for r in rows { out[r] = dotQ8_0(w.row(r), xr, blocks: blocks) }
        case .q4_0: for r in rows { out[r] = dotQ4_0(w.row(r), xr, blocks: blocks) }
        case .f16:
            let k = table(kernels).pointee
            for r in rows { out[r] = k.dot_f16!(w.row(r).assumingMemoryBound(to: UInt16.self), x, Int32(w.cols)) }
        case .f32:
            let k = table(kernels).pointee
            for r in rows { out[r] = k.dot_f32!(w.row(r).assumingMemoryBound(to: Float.self), x, Int32(w.cols)) }
        }
    }

    /// Fast, split over the pool's threads by rows.
    public static func matVec(
        _ w: WeightMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        pool.perform { part, parts in
            matVec(w, x, out, rows: WorkerPool.split(w.rows, part: part, parts: parts))
        }
    }

    // MARK: Row dot products (SIMD, FMA)

    /// Σ (q·d + m)·x = d·Σ q·x + m·Σ x per block.
    @inline(__always)
    static func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks: Int) -> Float {
        var accD = SIMD16<Float>(), accM = SIMD16<Float>()
        var p = row, xp = x
        for _ in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let m = Float(p.loadUnaligned(fromByteOffset: 2, as: Float16.self))
            let (qlo, qhi) = nibbles(p + 4)
            let xlo = xp.loadUnaligned(as: SIMD16<Float>.self)
            let xhi = xp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let t = (qlo * xlo).addingProduct(qhi, xhi)
            accD.addProduct(SIMD16(repeating: d), t)
            accM.addProduct(SIMD16(repeating: m), xlo + xhi)
            p += 20
            xp += 128
        }
        return Lanes.sum(accD + accM)
    }

    /// Σ (q − 8)·d·x = d·(Σ q·x − 8·Σ x) per block.
    @inline(__always)
    static func dotQ4_0(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks: Int) -> Float {
        var accD = SIMD16<Float>(), accM = SIMD16<Float>()
        var p = row, xp = x
        for _ in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let (qlo, qhi) = nibbles(p + 2)
            let xlo = xp.loadUnaligned(as: SIMD16<Float>.self)
            let xhi = xp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let t = (qlo * xlo).addingProduct(qhi, xhi)
            accD.addProduct(SIMD16(repeating: d), t)
            accM.addProduct(SIMD16(repeating: -8 * d), xlo + xhi)
            p += 18
            xp += 128
        }
        return Lanes.sum(accD + accM)
    }

    @inline(__always)
    static func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var p = row, xp = x
        for _ in 0..<blocks {
            let d = Float(p.loadUnaligned(as: Float16.self))
            let qlo = Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)))
            let qhi = Lanes.float(Lanes.int32(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)))
            let xlo = xp.loadUnaligned(as: SIMD16<Float>.self)
            let xhi = xp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let dv = SIMD16<Float>(repeating: d)
            acc0.addProduct(dv, qlo * xlo)
            acc1.addProduct(dv, qhi * xhi)
            p += 34
            xp += 128
        }
        return Lanes.sum(acc0 + acc1)
    }

    @inline(__always)
    static func dotF16(_ row: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let w = Lanes.float(row.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self))
            acc.addProduct(w, x.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
            i += 16
        }
        var s = Lanes.sum(acc)
        while i < count {
            s += Float(row.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) * x.load(fromByteOffset: 4 * i, as: Float.self)
            i += 1
        }
        return s
    }

    /// Σ a·b over `count` floats.
    @inline(__always)
    public static func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0.addProduct(ar.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self),
                            br.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
            acc1.addProduct(ar.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self),
                            br.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self))
            i += 32
        }
        while i + 16 <= count {
            acc0.addProduct(ar.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self),
                            br.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
            i += 16
        }
        var s = Lanes.sum(acc0 + acc1)
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }
}
