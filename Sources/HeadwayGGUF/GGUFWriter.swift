#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds a GGUF file (version 3 by default) in memory: metadata of every type, then tensors given as raw bytes.
///
/// Used by tests (in every module) to make tiny models. Misuse (duplicate names, byte counts that do not match the
/// type and shape, mixed-type arrays) is a programmer error and traps; the reader is what validates untrusted input.
///
/// ```swift
/// var w = GGUFWriter()
/// w.add("general.architecture", .string("llama"))
/// w.addTensor("output_norm.weight", float32: [1, 1, 1, 1], dimensions: [4])
/// let file = try GGUFFile(bytes: w.serialize(), name: "tiny.gguf")
/// ```
public struct GGUFWriter: Sendable {
    public struct Tensor: Sendable, Hashable {
        public var name: String
        public var type: GGMLType
        /// GGUF order: `dimensions[0]` is the row length.
        public var dimensions: [Int]
        public var bytes: [UInt8]
    }

    /// GGUF version written in the header (2 or 3; the layouts are identical).
    public var version: UInt32
    /// Alignment of the data section and of every tensor. Written as `general.alignment` when not 32.
    public let alignment: Int
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    /// - Precondition: `alignment` is a positive power of two.
    public init(alignment: Int = 32, version: UInt32 = 3) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment \(alignment) is not a power of two")
        self.alignment = alignment
        self.version = version
    }

    /// Adds a metadata entry. Arrays must be homogeneous (nested arrays are allowed).
    /// - Precondition: `key` was not added before, and is not `general.alignment` (set `alignment` instead).
    public mutating func add(_ key: String, _ value: GGUFValue) {
        precondition(!metadata.contains { $0.key == key }, "metadata key '\(key)' added twice")
        precondition(key != GGUFKey.alignment, "set GGUFWriter.alignment instead of '\(key)'")
        Self.checkHomogeneous(value, key: key)
        metadata.append((key, value))
    }

    /// Adds a tensor from its raw (possibly quantized) bytes.
    /// - Precondition: the name is new, there are 1...4 dimensions, `dimensions[0]` is a multiple of the type's
    ///   block size, and `bytes.count == elements / blockSize * typeSize`.
    public mutating func addTensor(_ name: String, type: GGMLType, dimensions: [Int], bytes: [UInt8]) {
        precondition(!tensors.contains { $0.name == name }, "tensor '\(name)' added twice")
        precondition((1...4).contains(dimensions.count), "tensor '\(name)': \(dimensions.count) dimensions")
        precondition(dimensions.allSatisfy { $0 >= 0 }, "tensor '\(name)': negative dimension in \(dimensions)")
        precondition(
            dimensions[0] % type.blockSize == 0, "tensor '\(name)': row \(dimensions[0]) not whole \(type) blocks")
        let expected = dimensions.reduce(1, *) / type.blockSize * type.typeSize
        precondition(
            bytes.count == expected,
            "tensor '\(name)': \(bytes.count) bytes given, \(type) \(dimensions) needs \(expected)")
        tensors.append(Tensor(name: name, type: type, dimensions: dimensions, bytes: bytes))
    }

    /// Adds an F32 tensor.
    public mutating func addTensor(_ name: String, float32 values: [Float], dimensions: [Int]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for v in values { bytes.appendLittleEndian(v.bitPattern) }
        addTensor(name, type: .f32, dimensions: dimensions, bytes: bytes)
    }

    /// The complete file: header, metadata, tensor infos, padding, and the aligned data section.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096 + tensors.reduce(0) { $0 + $1.bytes.count + alignment })
        out.appendLittleEndian(GGUFHeader.magic)
        out.appendLittleEndian(version)
        out.appendLittleEndian(UInt64(tensors.count))
        var entries = metadata
        if alignment != GGUFHeader.defaultAlignment {
            entries.insert((GGUFKey.alignment, .uint32(UInt32(alignment))), at: 0)
        }
        out.appendLittleEndian(UInt64(entries.count))
        for (key, value) in entries {
            out.appendString(key)
            out.appendLittleEndian(value.type.rawValue)
            out.appendValue(value)
        }
        var offset = 0
        for t in tensors {
            out.appendString(t.name)
            out.appendLittleEndian(UInt32(t.dimensions.count))
            for d in t.dimensions { out.appendLittleEndian(UInt64(d)) }
            out.appendLittleEndian(t.type.rawValue)
            out.appendLittleEndian(UInt64(offset))
            offset = Self.aligned(offset + t.bytes.count, alignment)
        }
        out.append(contentsOf: repeatElement(0, count: Self.aligned(out.count, alignment) - out.count))
        for t in tensors {
            out.append(contentsOf: t.bytes)
            out.append(contentsOf: repeatElement(0, count: Self.aligned(t.bytes.count, alignment) - t.bytes.count))
        }
        return out
    }

    /// Writes `serialize()` to `path`.
    /// - Throws: `GGUFError.Code.io` naming the path.
    public func write(to path: String) throws {
        let bytes = serialize()
        guard let f = fopen(path, "wb") else {
            throw GGUFError(.io, "cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == bytes.count, closed == 0 else {
            throw GGUFError(.io, "cannot write \(bytes.count) bytes to '\(path)' (wrote \(written))")
        }
    }

    static func aligned(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private static func checkHomogeneous(_ value: GGUFValue, key: String) {
        guard case .array(let elements) = value, let first = elements.first else { return }
        precondition(elements.allSatisfy { $0.type == first.type }, "metadata array '\(key)' mixes element types")
        for e in elements { checkHomogeneous(e, key: key) }
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendString(_ s: String) {
        let utf8 = Array(s.utf8)
        appendLittleEndian(UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    /// The value's payload (without its type tag). Arrays: element type, count, elements.
    fileprivate mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): appendLittleEndian(v)
        case .int8(let v): appendLittleEndian(v)
        case .uint16(let v): appendLittleEndian(v)
        case .int16(let v): appendLittleEndian(v)
        case .uint32(let v): appendLittleEndian(v)
        case .int32(let v): appendLittleEndian(v)
        case .uint64(let v): appendLittleEndian(v)
        case .int64(let v): appendLittleEndian(v)
        case .float32(let v): appendLittleEndian(v.bitPattern)
        case .float64(let v): appendLittleEndian(v.bitPattern)
        case .bool(let v): append(v ? 1 : 0)
        case .string(let s): appendString(s)
        case .array(let elements):
            // An empty array built from values has no element type; uint8 is as good as any.
            appendLittleEndian((elements.elementType ?? .uint8).rawValue)
            appendLittleEndian(UInt64(elements.count))
            for e in elements { appendValue(e) }
        }
    }
}
