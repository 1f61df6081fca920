// Small value types for quantities that are easy to confuse: bytes, FLOPs, seconds, rates.
// Each wraps a Double so arithmetic stays exact enough for the reference formulas (1e-9 relative) and cheap.

/// A quantity of data in bytes (not bits). `Bytes(gigabytes:)` uses 1 GB = 1024³ bytes, as the reference simulator does.
public struct Bytes: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public init(gigabytes: Double) { self.value = gigabytes * Bytes.perGigabyte }
    public init(megabytes: Double) { self.value = megabytes * 1024 * 1024 }
    /// 1024³: the reference simulator's `GB`.
    public static let perGigabyte: Double = 1024 * 1024 * 1024
    public var gigabytes: Double { value / Bytes.perGigabyte }
    public var megabytes: Double { value / (1024 * 1024) }
    public static var zero: Bytes { Bytes(0) }
    public static func + (a: Bytes, b: Bytes) -> Bytes { Bytes(a.value + b.value) }
    public static func - (a: Bytes, b: Bytes) -> Bytes { Bytes(a.value - b.value) }
    public static func * (a: Bytes, k: Double) -> Bytes { Bytes(a.value * k) }
    public static func * (k: Double, a: Bytes) -> Bytes { Bytes(a.value * k) }
    public static func / (a: Bytes, b: Bytes) -> Double { a.value / b.value }
    public static func < (a: Bytes, b: Bytes) -> Bool { a.value < b.value }
    public var description: String { formatQuantity(value, unit: "B", binary: true) }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(value) }
}

/// A count of floating-point operations (a multiply-add counts as 2 in the decode model; the reference model counts MACs).
public struct FLOPs: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public static var zero: FLOPs { FLOPs(0) }
    public static func + (a: FLOPs, b: FLOPs) -> FLOPs { FLOPs(a.value + b.value) }
    public static func - (a: FLOPs, b: FLOPs) -> FLOPs { FLOPs(a.value - b.value) }
    public static func * (a: FLOPs, k: Double) -> FLOPs { FLOPs(a.value * k) }
    public static func < (a: FLOPs, b: FLOPs) -> Bool { a.value < b.value }
    /// Time to execute at `rate`.
    public static func / (a: FLOPs, rate: FLOPsPerSecond) -> Seconds { Seconds(a.value / rate.value) }
    public var description: String { formatQuantity(value, unit: "FLOP", binary: false) }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(value) }
}

/// Compute throughput.
public struct FLOPsPerSecond: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public init(gigaflops: Double) { self.value = gigaflops * 1e9 }
    public var gigaflops: Double { value / 1e9 }
    public static func * (a: FLOPsPerSecond, k: Double) -> FLOPsPerSecond { FLOPsPerSecond(a.value * k) }
    public static func < (a: FLOPsPerSecond, b: FLOPsPerSecond) -> Bool { a.value < b.value }
    public var description: String { formatQuantity(value, unit: "FLOP/s", binary: false) }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(value) }
}

/// A data rate in **bytes** per second. Network links are usually quoted in bits: use `init(gigabitsPerSecond:)`.
public struct BytesPerSecond: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    /// 1 Gbit/s = 1e9 bits/s = 1.25e8 bytes/s.
    public init(gigabitsPerSecond: Double) { self.value = gigabitsPerSecond * 1e9 / 8 }
    /// 1 GB/s with GB = 1024³ bytes (the reference simulator's unit for link values).
    public init(gigabytesPerSecond: Double) { self.value = gigabytesPerSecond * Bytes.perGigabyte }
    public var gigabitsPerSecond: Double { value * 8 / 1e9 }
    public var gigabytesPerSecond: Double { value / Bytes.perGigabyte }
    public static func * (a: BytesPerSecond, k: Double) -> BytesPerSecond { BytesPerSecond(a.value * k) }
    public static func < (a: BytesPerSecond, b: BytesPerSecond) -> Bool { a.value < b.value }
    public var description: String { formatQuantity(value, unit: "B/s", binary: false) }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(value) }
}

extension Bytes {
    /// Time to move these bytes at `rate` (no latency term).
    public static func / (a: Bytes, rate: BytesPerSecond) -> Seconds { Seconds(a.value / rate.value) }
}

/// A duration in seconds.
public struct Seconds: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public init(milliseconds: Double) { self.value = milliseconds / 1000 }
    public init(microseconds: Double) { self.value = microseconds / 1e6 }
    public var milliseconds: Double { value * 1000 }
    public static var zero: Seconds { Seconds(0) }
    public static var infinity: Seconds { Seconds(.infinity) }
    public var isFinite: Bool { value.isFinite }
    public static func + (a: Seconds, b: Seconds) -> Seconds { Seconds(a.value + b.value) }
    public static func - (a: Seconds, b: Seconds) -> Seconds { Seconds(a.value - b.value) }
    public static func * (a: Seconds, k: Double) -> Seconds { Seconds(a.value * k) }
    public static func < (a: Seconds, b: Seconds) -> Bool { a.value < b.value }
    public var description: String {
        if !value.isFinite { return "inf" }
        if value >= 1 { return String(format3(value)) + " s" }
        if value >= 1e-3 { return format3(value * 1e3) + " ms" }
        return format3(value * 1e6) + " µs"
    }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(value) }
}

/// Formats with three significant decimals, without Foundation.
func format3(_ x: Double) -> String {
    let scaled = (x * 1000).rounded()
    let integer = Int(scaled / 1000)
    let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: 1000))
    let sign = x < 0 && integer == 0 ? "-" : ""
    var f = String(fraction)
    while f.count < 3 { f = "0" + f }
    return "\(sign)\(integer).\(f)"
}

func formatQuantity(_ v: Double, unit: String, binary: Bool) -> String {
    if !v.isFinite { return "inf \(unit)" }
    let base: Double = binary ? 1024 : 1000
    let prefixes = binary ? ["", "Ki", "Mi", "Gi", "Ti", "Pi"] : ["", "k", "M", "G", "T", "P"]
    var x = v
    var i = 0
    while abs(x) >= base && i < prefixes.count - 1 { x /= base; i += 1 }
    return "\(format3(x)) \(prefixes[i])\(unit)"
}

extension Duration {
    /// This duration in seconds, as a Double (for timing measurements).
    public var inSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
