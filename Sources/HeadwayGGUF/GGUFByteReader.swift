/// A bounds-checked little-endian cursor over a GGUF file's bytes.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let name: String
    var offset = 0

    var remaining: Int { bytes.count - offset }

    private func truncated(_ what: String, needs: String) -> GGUFError {
        GGUFError(
            .truncated,
            "\(name): truncated while reading \(what) at byte \(offset): needs \(needs), only \(remaining) of \(bytes.count) bytes remain"
        )
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(what(), needs: "\(size) bytes") }
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: v)
    }

    /// A u64 count or length that must fit in `Int`.
    mutating func readCount(_ what: @autoclosure () -> String) throws -> Int {
        let raw = try read(UInt64.self, what())
        guard let n = Int(exactly: raw) else {
            throw GGUFError(.invalidValue, "\(name): \(what()) \(raw) at byte \(offset - 8) is too large")
        }
        return n
    }

    /// A u64 length followed by that many UTF-8 bytes (invalid sequences are repaired with U+FFFD).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        String(decoding: try readStringBytes(what()), as: UTF8.self)
    }

    /// A u64 length followed by that many bytes, returned without decoding or copying.
    mutating func readStringBytes(_ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        let lengthOffset = offset
        let raw = try read(UInt64.self, "length of \(what())")
        guard let length = Int(exactly: raw), length <= remaining else {
            offset = lengthOffset
            throw GGUFError(
                .truncated,
                "\(name): \(what()) at byte \(lengthOffset) has length \(raw), past end of file (\(remaining - 8) bytes remain of \(bytes.count))"
            )
        }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    /// A value type tag (u32) followed by the value.
    mutating func readTaggedValue(key: String, depth: Int) throws -> GGUFValue {
        let tag = try read(UInt32.self, "value type of '\(key)'")
        guard let type = GGUFValueType(rawValue: tag) else {
            throw GGUFError(.invalidValue, "\(name): metadata '\(key)' has unknown value type \(tag)")
        }
        return try readValue(type, key: key, depth: depth)
    }

    mutating func readValue(_ type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try read(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try read(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try read(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try read(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try read(Int32.self, "value of '\(key)'"))
        case .uint64: return .uint64(try read(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try read(Int64.self, "value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, "value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, "value of '\(key)'")))
        case .bool:
            let b = try read(UInt8.self, "value of '\(key)'")
            guard b <= 1 else {
                throw GGUFError(
                    .invalidValue,
                    "\(name): metadata '\(key)' has bool byte \(b) at byte \(offset - 1); expected 0 or 1")
            }
            return .bool(b == 1)
        case .string: return .string(try readString("string value of '\(key)'"))
        case .array:
            guard depth < GGUFHeader.maxArrayDepth else {
                throw GGUFError(
                    .invalidValue, "\(name): metadata '\(key)' nests arrays deeper than \(GGUFHeader.maxArrayDepth)")
            }
            let tag = try read(UInt32.self, "array element type of '\(key)'")
            guard let element = GGUFValueType(rawValue: tag) else {
                throw GGUFError(.invalidValue, "\(name): metadata array '\(key)' has unknown element type \(tag)")
            }
            let countOffset = offset
            let count = try readCount("element count of '\(key)'")
            guard count <= remaining / element.minimumSize else {
                throw GGUFError(
                    .truncated,
                    "\(name): metadata array '\(key)' at byte \(countOffset) declares \(count) elements of type \(element), past end of file (\(remaining) bytes remain)"
                )
            }
            if let size = element.fixedSize {
                return .array(try readFixedArray(element, size: size, count: count, key: key))
            }
            // A table's offsets are 32-bit; a string array in a file of 4 GiB or more is kept as values.
            if element == .string, bytes.count <= UInt32.max {
                return .array(GGUFArray(strings: try readStringTable(count: count, key: key)))
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readValue(element, key: key, depth: depth + 1)) }
            return .array(GGUFArray(values))
        }
    }

    /// `count` elements of a fixed-size type, kept as their bytes. `count` has been checked against `remaining`.
    private mutating func readFixedArray(_ type: GGUFValueType, size: Int, count: Int, key: String) throws -> GGUFArray {
        let start = offset
        let elements = bytes[start..<start + count * size]
        if type == .bool, let bad = elements.firstIndex(where: { $0 > 1 }) {
            throw GGUFError(
                .invalidValue,
                "\(name): metadata '\(key)' has bool byte \(elements[bad]) at byte \(bad); expected 0 or 1")
        }
        offset += count * size
        return GGUFArray(fixed: type, littleEndianBytes: Array(elements))
    }

    /// `count` strings as one table. A first pass checks every length and sizes the table exactly.
    private mutating func readStringTable(count: Int, key: String) throws -> GGUFStringTable {
        var probe = self
        var utf8Count = 0
        for _ in 0..<count { utf8Count += try probe.readStringBytes("string value of '\(key)'").count }
        var builder = GGUFStringTable.Builder(reservingCapacity: count, utf8Count: utf8Count)
        for _ in 0..<count { builder.append(utf8: try readStringBytes("string value of '\(key)'")) }
        return builder.table()
    }
}
