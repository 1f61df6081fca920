/// A GGUF model file: header, metadata and tensor index, with tensor data left in place in a read-only `mmap`.
///
/// `init` validates the whole header and checks that every tensor lies inside the file, so later accesses need no checks.
/// Tensor bytes are views into the mapping and stay valid as long as the `GGUFFile` is alive.
///
/// Parsing copies every metadata value, key and tensor name into Swift values, so `init` then releases the mapping's
/// pages before the data section (`MappedRegion.releasePages(before:)`): for a model with a large vocabulary the
/// header is megabytes that would otherwise stay resident for the life of the model. Reading `bytes` there afterwards
/// is still correct; it faults the pages back in from the file.
///
/// Layout (little-endian): `GGUF` magic, version (u32), tensor count (u64), metadata count (u64), metadata
/// key/value pairs, tensor infos (name, dimension count, dimensions, type, offset), padding to `general.alignment`
/// (default 32), then the data section. Tensor offsets are relative to the data section and multiples of the alignment.
public final class GGUFFile: @unchecked Sendable {
    /// The name used in error messages: the file's last path component, or the name given to `init(bytes:name:)`.
    public let name: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Absolute offset of the data section.
    public let dataOffset: Int
    /// Size of the whole file in bytes.
    public let fileSize: Int

    private let region: MappedRegion
    private let tensorIndex: [String: Int]

    /// Memory-maps the file at `path` read-only and validates it.
    /// - Throws: `GGUFError` (`.io` when it cannot be opened or mapped; other codes for malformed contents).
    public convenience init(path: String) throws {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        try self.init(region: MappedRegion(path: path, name: name), name: name)
    }

    /// Reads a GGUF file held in memory (the bytes are copied once). `name` is used in error messages.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws {
        try self.init(region: MappedRegion(copying: bytes), name: name)
    }

    private init(region: MappedRegion, name: String) throws {
        let header = try GGUFHeader(parsing: region.buffer, name: name)
        self.region = region
        self.name = name
        self.version = header.version
        self.metadata = header.metadata
        self.metadataKeys = header.metadataKeys
        self.tensors = header.tensors
        self.alignment = header.alignment
        self.dataOffset = header.dataOffset
        self.fileSize = region.count
        var index: [String: Int] = [:]
        index.reserveCapacity(header.tensors.count)
        for (i, t) in header.tensors.enumerated() { index[t.name] = i }
        self.tensorIndex = index
        region.releasePages(before: header.dataOffset)
    }

    /// The tensor called `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor called `name`.
    /// - Throws: `GGUFError.Code.missingTensor` naming the tensor.
    public func requiredTensor(named name: String) throws -> GGUFTensorInfo {
        guard let t = tensor(named: name) else {
            throw GGUFError(.missingTensor, "\(self.name): tensor '\(name)' is missing")
        }
        return t
    }

    /// The raw (possibly quantized) bytes of a tensor of this file, without copying.
    /// Valid as long as this `GGUFFile` is alive.
    /// - Precondition: `info` comes from this file's `tensors`.
    public func tensorData(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(
            info.offset >= dataOffset && info.byteCount >= 0 && info.offset <= fileSize - info.byteCount,
            "tensor '\(info.name)' does not belong to \(name)")
        return UnsafeRawBufferPointer(start: region.base + info.offset, count: info.byteCount)
    }

    /// Calls `body` with the raw bytes of a tensor; the file stays alive during the call.
    public func withTensorBytes<R>(_ info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(tensorData(info)) }
    }

    /// All bytes of the file. Valid as long as this `GGUFFile` is alive.
    public var bytes: UnsafeRawBufferPointer { region.buffer }
}
