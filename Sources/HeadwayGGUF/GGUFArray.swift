/// The elements of a GGUF metadata array (homogeneous; arrays may nest).
///
/// Arrays read from a file are stored compactly, since vocabularies make them large (49,152 tokens, types and merges
/// for SmolLM2): strings as one `GGUFStringTable`, fixed-size numbers and bools as their little-endian bytes. Elements
/// are decoded into `GGUFValue`s when accessed. Arrays built from `[GGUFValue]` (by `GGUFWriter` users) keep those
/// values. Equality and hashing are by elements, whatever the storage.
public struct GGUFArray: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    private enum Storage: Sendable {
        case values([GGUFValue])
        case strings(GGUFStringTable)
        /// `count` elements of a fixed-size type, `type.fixedSize` little-endian bytes each (bools are 0 or 1).
        case fixed(GGUFValueType, [UInt8])
    }

    private let storage: Storage

    public init(_ values: [GGUFValue]) { storage = .values(values) }

    public init(arrayLiteral elements: GGUFValue...) { storage = .values(elements) }

    /// An array of strings, stored as the table.
    public init(strings: GGUFStringTable) { storage = .strings(strings) }

    /// An array of strings, stored compactly.
    public static func strings(_ strings: some Sequence<String>) -> GGUFArray {
        GGUFArray(strings: GGUFStringTable(strings))
    }

    /// Fixed-size elements from their little-endian encoding.
    /// - Precondition: `type.fixedSize` divides `bytes.count`; bool bytes are 0 or 1 (the reader checks both).
    init(fixed type: GGUFValueType, littleEndianBytes bytes: [UInt8]) {
        storage = .fixed(type, bytes)
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .values(let v): v.count
        case .strings(let t): t.count
        case .fixed(let type, let bytes): bytes.count / type.fixedSize!
        }
    }

    public subscript(i: Int) -> GGUFValue {
        switch storage {
        case .values(let v): return v[i]
        case .strings(let t): return .string(t[i])
        case .fixed(let type, let bytes):
            precondition(i >= 0 && i < endIndex, "GGUFArray index \(i) out of range 0..<\(endIndex)")
            return bytes.withUnsafeBytes { Self.decode(type, $0, at: i * type.fixedSize!) }
        }
    }

    /// The type of the elements: known for arrays read from a file even when empty; else the first element's.
    public var elementType: GGUFValueType? {
        switch storage {
        case .values(let v): v.first?.type
        case .strings: .string
        case .fixed(let type, _): type
        }
    }

    /// The elements as a string table when they are all strings (shares the storage of an array read from a file).
    /// An empty array of any element type is an empty table.
    public var stringTable: GGUFStringTable? {
        switch storage {
        case .strings(let t): return t
        case .fixed(_, let bytes): return bytes.isEmpty ? GGUFStringTable([]) : nil
        case .values(let values):
            var strings: [String] = []
            strings.reserveCapacity(values.count)
            for v in values {
                guard case .string(let s) = v else { return nil }
                strings.append(s)
            }
            return GGUFStringTable(strings)
        }
    }

    public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for e in self { hasher.combine(e) }
    }

    private static func decode(_ type: GGUFValueType, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> GGUFValue {
        func load<T: FixedWidthInteger>(_: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        switch type {
        case .uint8: return .uint8(load(UInt8.self))
        case .int8: return .int8(load(Int8.self))
        case .uint16: return .uint16(load(UInt16.self))
        case .int16: return .int16(load(Int16.self))
        case .uint32: return .uint32(load(UInt32.self))
        case .int32: return .int32(load(Int32.self))
        case .uint64: return .uint64(load(UInt64.self))
        case .int64: return .int64(load(Int64.self))
        case .float32: return .float32(Float(bitPattern: load(UInt32.self)))
        case .float64: return .float64(Double(bitPattern: load(UInt64.self)))
        case .bool: return .bool(load(UInt8.self) == 1)
        case .string, .array: preconditionFailure("\(type) has no fixed size")
        }
    }
}
