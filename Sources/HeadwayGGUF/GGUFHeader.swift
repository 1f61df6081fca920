/// The parsed and validated header of a GGUF file. Every read is bounds-checked; malformed input throws `GGUFError`.
struct GGUFHeader {
    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
    static let defaultAlignment = 32
    static let supportedVersions: ClosedRange<UInt32> = 2...3
    /// Nesting limit for arrays of arrays (real files use none).
    static let maxArrayDepth = 8

    var version: UInt32
    var metadata: [String: GGUFValue]
    var metadataKeys: [String]
    var tensors: [GGUFTensorInfo]
    var alignment: Int
    var dataOffset: Int

    init(parsing bytes: UnsafeRawBufferPointer, name: String) throws {
        var r = GGUFByteReader(bytes: bytes, name: name)
        let fileSize = bytes.count

        let magic = try r.read(UInt32.self, "magic")
        guard magic == Self.magic else {
            let shown = withUnsafeBytes(of: magic.littleEndian) { raw in
                raw.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            }
            throw GGUFError(.badMagic, "\(name): not a GGUF file (magic is '\(shown)', expected 'GGUF')")
        }
        version = try r.read(UInt32.self, "version")
        guard Self.supportedVersions.contains(version) else {
            let hint = version > 0xFFFF ? " (a big-endian file?)" : ""
            throw GGUFError(
                .unsupportedVersion, "\(name): GGUF version \(version) is not supported\(hint); expected 2 or 3")
        }
        let tensorCount = try r.readCount("tensor count")
        let metadataCount = try r.readCount("metadata count")
        // Each key/value pair takes at least 8 (key length) + 4 (type) + 1 (value) bytes.
        guard metadataCount <= r.remaining / 13 else {
            throw GGUFError(
                .invalidValue,
                "\(name): metadata count \(metadataCount) cannot fit in the \(r.remaining) bytes after the header")
        }

        metadata = [:]
        metadata.reserveCapacity(metadataCount)
        metadataKeys = []
        metadataKeys.reserveCapacity(metadataCount)
        for i in 0..<metadataCount {
            let keyOffset = r.offset
            let key = try r.readString("key of metadata entry \(i)")
            let value = try r.readTaggedValue(key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError(
                    .duplicateKey, "\(name): metadata key '\(key)' appears twice (again at byte \(keyOffset))")
            }
            metadataKeys.append(key)
        }

        alignment = Self.defaultAlignment
        if let a = metadata[GGUFKey.alignment] {
            guard let v = a.intValue, v > 0, v & (v - 1) == 0 else {
                throw GGUFError(.badAlignment, "\(name): \(GGUFKey.alignment) = \(a) is not a positive power of two")
            }
            alignment = v
        }

        // A tensor info takes at least 8 (name length) + 4 (dim count) + 8 (one dim) + 4 (type) + 8 (offset) bytes.
        guard tensorCount <= r.remaining / 32 else {
            throw GGUFError(
                .invalidValue,
                "\(name): tensor count \(tensorCount) cannot fit in the \(r.remaining) bytes after the metadata")
        }
        var infos: [(name: String, dims: [Int], type: GGMLType, relative: Int, elements: Int, bytes: Int)] = []
        infos.reserveCapacity(tensorCount)
        var seen = Set<String>()
        seen.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let tname = try r.readString("name of tensor \(i)")
            guard seen.insert(tname).inserted else {
                throw GGUFError(.duplicateTensor, "\(name): tensor '\(tname)' appears twice in the tensor index")
            }
            let dimCount = try r.read(UInt32.self, "dimension count of tensor '\(tname)'")
            guard (1...4).contains(dimCount) else {
                throw GGUFError(
                    .invalidShape, "\(name): tensor '\(tname)' has \(dimCount) dimensions; GGUF allows 1...4")
            }
            var dims: [Int] = []
            var elements = 1
            // The row count (all dimensions but the first) is checked on its own: a row length of 0 makes the element
            // count 0 whatever the other dimensions are.
            var rows = 1
            for d in 0..<Int(dimCount) {
                let raw = try r.read(UInt64.self, "dimension \(d) of tensor '\(tname)'")
                guard let n = Int(exactly: raw) else {
                    throw GGUFError(.invalidShape, "\(name): tensor '\(tname)' dimension \(d) = \(raw) is too large")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: n)
                let (rowProduct, rowOverflow) = d == 0 ? (rows, false) : rows.multipliedReportingOverflow(by: n)
                guard !overflow, !rowOverflow else {
                    throw GGUFError(
                        .invalidShape,
                        "\(name): tensor '\(tname)' element count overflows (dimensions \(dims + [n]))")
                }
                dims.append(n)
                elements = product
                rows = rowProduct
            }
            let typeID = try r.read(UInt32.self, "type of tensor '\(tname)'")
            guard let type = GGMLType(rawValue: typeID) else {
                throw GGUFError(.unknownType, "\(name): tensor '\(tname)' has unknown GGML type id \(typeID)")
            }
            guard dims[0] % type.blockSize == 0 else {
                throw GGUFError(
                    .invalidShape,
                    "\(name): tensor '\(tname)' row length \(dims[0]) is not a multiple of the \(type) block size \(type.blockSize)"
                )
            }
            let (byteCount, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
            guard !overflow else {
                throw GGUFError(.invalidShape, "\(name): tensor '\(tname)' byte size overflows (dimensions \(dims))")
            }
            let rawOffset = try r.read(UInt64.self, "data offset of tensor '\(tname)'")
            guard let relative = Int(exactly: rawOffset) else {
                throw GGUFError(
                    .tensorOutOfBounds,
                    "\(name): tensor '\(tname)' data offset \(rawOffset) lies past end of file (\(fileSize) bytes)")
            }
            infos.append((tname, dims, type, relative, elements, byteCount))
        }

        let (padded, overflow) = r.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else {
            throw GGUFError(.badAlignment, "\(name): \(GGUFKey.alignment) = \(alignment) is too large")
        }
        dataOffset = padded - padded % alignment

        tensors = []
        tensors.reserveCapacity(infos.count)
        for t in infos {
            guard t.relative % alignment == 0 else {
                throw GGUFError(
                    .badAlignment,
                    "\(name): tensor '\(t.name)' data offset \(t.relative) is not a multiple of the alignment \(alignment)"
                )
            }
            let (start, o1) = dataOffset.addingReportingOverflow(t.relative)
            let (end, o2) = start.addingReportingOverflow(t.bytes)
            guard !o1, !o2, end <= fileSize else {
                let endText = (o1 || o2) ? "beyond \(Int.max)" : "\(end)"
                throw GGUFError(
                    .tensorOutOfBounds,
                    "\(name): tensor '\(t.name)' (\(t.type), \(t.bytes) bytes at data offset \(t.relative)) ends at byte \(endText) past end of file (\(fileSize) bytes)"
                )
            }
            tensors.append(
                GGUFTensorInfo(
                    name: t.name, dimensions: t.dims, type: t.type, offset: start, byteCount: t.bytes,
                    elementCount: t.elements))
        }
    }
}
