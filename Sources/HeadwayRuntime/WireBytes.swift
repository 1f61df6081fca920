/// Little-endian byte writing for the wire format.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8]
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    /// A count or index that fits in 32 bits (checked by the caller's model: layers, groups, positions).
    public mutating func int(_ v: Int) {
        precondition(v >= 0 && v <= Int(UInt32.max), "wire integer \(v) out of range")
        u32(UInt32(v))
    }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(utf8.count)
        bytes += utf8
    }
    public mutating func data(_ d: [UInt8]) {
        int(d.count)
        bytes += d
    }
    public mutating func floats(_ f: [Float]) {
        int(f.count)
        f.withUnsafeBytes { bytes += $0 }  // IEEE-754 binary32, little-endian on x86-64 and arm64
    }
    public mutating func ints(_ v: [Int]) {
        int(v.count)
        for x in v { int(x) }
    }
}

/// Bounds-checked little-endian reading: every read that runs past the end, or a length larger than what is left,
/// throws `bad-frame` naming the field; nothing is allocated beyond the bytes actually present.
public struct WireReader {
    let bytes: [UInt8]
    public private(set) var offset: Int
    let context: String

    public init(_ bytes: [UInt8], offset: Int = 0, context: String) {
        self.bytes = bytes
        self.offset = offset
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }

    func fail(_ field: String, _ why: String) -> RuntimeError {
        RuntimeError(.badFrame, "\(context): field '\(field)' at byte \(offset): \(why)")
    }

    mutating func take(_ n: Int, _ field: String) throws(RuntimeError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw fail(field, "needs \(n) bytes, \(remaining) left") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    public mutating func u8(_ field: String) throws(RuntimeError) -> UInt8 { try take(1, field).first! }
    public mutating func u16(_ field: String) throws(RuntimeError) -> UInt16 {
        let s = try take(2, field)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }
    public mutating func u32(_ field: String) throws(RuntimeError) -> UInt32 {
        let s = try take(4, field)
        var v: UInt32 = 0
        for (i, b) in s.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    public mutating func u64(_ field: String) throws(RuntimeError) -> UInt64 {
        let s = try take(8, field)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    public mutating func f64(_ field: String) throws(RuntimeError) -> Double { Double(bitPattern: try u64(field)) }
    public mutating func int(_ field: String, max: Int = Int(UInt32.max)) throws(RuntimeError) -> Int {
        let v = Int(try u32(field))
        guard v <= max else { throw fail(field, "value \(v) exceeds \(max)") }
        return v
    }
    public mutating func bool(_ field: String) throws(RuntimeError) -> Bool {
        let v = try u8(field)
        guard v <= 1 else { throw fail(field, "boolean byte \(v)") }
        return v == 1
    }
    public mutating func string(_ field: String, max: Int = 4096) throws(RuntimeError) -> String {
        let n = try int(field, max: max)
        guard let s = String(validating: try take(n, field), as: UTF8.self) else { throw fail(field, "not UTF-8") }
        return s
    }
    public mutating func data(_ field: String) throws(RuntimeError) -> [UInt8] {
        let n = try int(field)
        return Array(try take(n, field))
    }
    public mutating func floats(_ field: String) throws(RuntimeError) -> [Float] {
        let n = try int(field)
        guard n <= remaining / 4 else { throw fail(field, "\(n) floats need \(4 * n) bytes, \(remaining) left") }
        let s = try take(4 * n, field)
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            s.withUnsafeBytes { raw in
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
            count = n
        }
    }
    public mutating func ints(_ field: String, max: Int) throws(RuntimeError) -> [Int] {
        let n = try int(field)
        guard n <= remaining / 4 else { throw fail(field, "\(n) integers need \(4 * n) bytes, \(remaining) left") }
        var out: [Int] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try int(field, max: max)) }
        return out
    }
    /// Throws unless every byte was read.
    public func finish() throws(RuntimeError) {
        guard remaining == 0 else { throw fail("end", "\(remaining) unexpected trailing bytes") }
    }
}
