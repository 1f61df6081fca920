#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import HeadwayGGUF
import Testing

/// `GGUFFile(path:)` releases the mapping's pages before the data section once the header is parsed.
@Suite struct GGUFHeaderPagesTests {
    /// A file whose header spans several pages: a 20,000-entry string array, then one tensor.
    static func largeHeaderFile() -> GGUFWriter {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add(GGUFKey.tokens, .array(.strings((0..<20_000).map { "token-\($0)" })))
        w.addTensor("output_norm.weight", float32: (0..<1024).map(Float.init), dimensions: [1024])
        return w
    }

    #if os(Linux)
        /// Whether the page holding `address` is mapped in this process (bit 63 of its `/proc/self/pagemap` entry;
        /// unlike `mincore`, which reports the page cache for file mappings).
        static func isPresent(_ address: UnsafeRawPointer) throws -> Bool {
            let fd = open("/proc/self/pagemap", O_RDONLY)
            try #require(fd >= 0, "cannot open /proc/self/pagemap")
            defer { close(fd) }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            var entry: UInt64 = 0
            let offset = off_t(UInt(bitPattern: address) / UInt(page) * 8)
            try #require(pread(fd, &entry, 8, offset) == 8, "cannot read /proc/self/pagemap")
            return entry >> 63 == 1
        }

        @Test func headerPagesAreNotResidentAfterInitAndStillReadBack() throws {
            let path = "/tmp/headway-gguf-header-pages-\(getpid()).gguf"
            defer { unlink(path) }
            let w = Self.largeHeaderFile()
            let written = w.serialize()
            try w.write(to: path)
            let f = try GGUFFile(path: path)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            try #require(f.dataOffset >= 3 * page, "header of \(f.dataOffset) bytes is too small for the test")
            let base = try #require(f.bytes.baseAddress)

            let wholePages = f.dataOffset / page
            for p in 0..<wholePages {
                #expect(try !Self.isPresent(base + p * page), "header page \(p) of \(wholePages) is still resident")
            }
            // The values were copied out before the pages went.
            #expect(f.stringArray(GGUFKey.tokens)?.last == "token-19999")
            // The data section is untouched, and the header still reads back (faulted in again from the file).
            let t = try #require(f.tensor(named: "output_norm.weight"))
            #expect(f.withTensorBytes(t) { $0.load(fromByteOffset: 4 * 1023, as: Float.self) } == 1023)
            #expect(Array(f.bytes.prefix(f.dataOffset)) == Array(written.prefix(f.dataOffset)))
            #expect(try Self.isPresent(base))
        }
    #endif

    /// An in-memory file is an owned copy, which must keep its bytes.
    @Test func inMemoryFilesKeepTheirHeaderBytes() throws {
        let written = Self.largeHeaderFile().serialize()
        let f = try GGUFFile(bytes: written, name: "large-header.gguf")
        #expect(Array(f.bytes.prefix(f.dataOffset)) == Array(written.prefix(f.dataOffset)))
    }
}
