#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Read-only bytes that live as long as this object: a private `mmap` of a file, or an owned copy of an array.
final class MappedRegion: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let isMapped: Bool

    /// Maps `path` read-only. Throws `.io` when it cannot be opened, inspected or mapped, `.truncated` when empty.
    init(path: String, name: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError(.io, "\(name): cannot open '\(path)': \(MappedRegion.errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(.io, "\(name): cannot stat '\(path)': \(MappedRegion.errnoText())")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(.io, "\(name): '\(path)' is not a regular file")
        }
        let size = Int(st.st_size)
        guard size > 0 else { throw GGUFError(.truncated, "\(name): file is empty (0 bytes)") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError(.io, "\(name): cannot mmap '\(path)' (\(size) bytes): \(MappedRegion.errnoText())")
        }
        base = UnsafeRawPointer(p)
        count = size
        isMapped = true
    }

    /// Copies `bytes` into memory owned by the region.
    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { p.copyMemory(from: s, byteCount: src.count) }
        }
        base = UnsafeRawPointer(p)
        count = bytes.count
        isMapped = false
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Gives back to the kernel this process's resident copies of the whole pages among the first `byteCount` bytes
    /// (`madvise(MADV_DONTNEED)`), so they stop counting toward its resident memory.
    ///
    /// Safe for any later reader: the mapping is private and read-only, so its pages never differ from the file and a
    /// later read just faults them back in. A no-op for an owned copy (`init(copying:)`), whose bytes it would erase.
    func releasePages(before byteCount: Int) {
        guard isMapped else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = min(byteCount, count) / pageSize * pageSize
        guard pageSize > 0, length > 0 else { return }
        // `mmap` returns page-aligned memory, so `base` is the start of a page. Failure only leaves the pages resident.
        _ = madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_DONTNEED)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
