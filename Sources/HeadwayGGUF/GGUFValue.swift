/// The type tag GGUF stores before each metadata value (`enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable, Hashable, CaseIterable {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Encoded size of one value of a fixed-size type; `nil` for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// Smallest possible encoding (a string is at least its 8-byte length; an array its type and count).
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }
}

/// One GGUF metadata value.
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    /// Elements all have the same type (GGUF arrays are homogeneous; arrays may nest).
    case array(GGUFArray)

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// Any integer value that fits in `Int`; `nil` for other types.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// A floating-point or integer value as `Double`; `nil` for other types.
    public var floatValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var arrayValue: GGUFArray? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// An array whose elements are all strings.
    public var stringArray: [String]? { stringTable.map(Array.init) }

    /// An array whose elements are all strings, as a table (no copy for arrays read from a file).
    public var stringTable: GGUFStringTable? {
        guard case .array(let values) = self else { return nil }
        return values.stringTable
    }

    /// An array whose elements are all integers that fit in `Int`.
    public var intArray: [Int]? {
        guard case .array(let values) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let i = v.intValue else { return nil }
            out.append(i)
        }
        return out
    }

    /// An array whose elements are all numbers.
    public var floatArray: [Double]? {
        guard case .array(let values) = self else { return nil }
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let f = v.floatValue else { return nil }
            out.append(f)
        }
        return out
    }
}

extension GGUFValue: CustomStringConvertible {
    /// A short rendering for messages; long arrays and strings are abbreviated.
    public var description: String {
        switch self {
        case .string(let s): return s.count > 60 ? "\"\(s.prefix(60))…\"" : "\"\(s)\""
        case .array(let a):
            let head = a.prefix(4).map(\.description).joined(separator: ", ")
            return a.count > 4 ? "[\(head), … (\(a.count) elements)]" : "[\(head)]"
        case .bool(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .uint64(let v): return "\(v)"
        default: return intValue.map(String.init) ?? "?"
        }
    }
}
