/// An immutable array of strings stored back to back as UTF-8, with the offset where each one starts.
///
/// This is how GGUF metadata keeps arrays of strings (a vocabulary of 49,152 tokens and as many merge rules): two
/// buffers in all, instead of one `GGUFValue` per element and a heap object per string longer than 15 bytes. Copies
/// share the buffers, so a tokenizer can hold the table it read from a `GGUFFile` without a second copy.
public struct GGUFStringTable: Sendable, Hashable, RandomAccessCollection {
    /// Every string's UTF-8, concatenated.
    private let utf8Bytes: [UInt8]
    /// `count + 1` entries: string `i` is `utf8Bytes[starts[i]..<starts[i + 1]]`.
    private let starts: [UInt32]

    /// - Precondition: the strings take less than 4 GiB of UTF-8 in all.
    public init(_ strings: some Sequence<String>) {
        var builder = Builder()
        for s in strings { builder.append(s) }
        self = builder.table()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { starts.count - 1 }

    /// String `i`.
    public subscript(i: Int) -> String { String(decoding: utf8(i), as: UTF8.self) }

    /// The UTF-8 of string `i`, without copying.
    public func utf8(_ i: Int) -> ArraySlice<UInt8> { utf8Bytes[Int(starts[i])..<Int(starts[i + 1])] }

    /// Calls `body` with the UTF-8 of string `i`, without copying.
    public func withUTF8<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try utf8Bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[Int(starts[i])..<Int(starts[i + 1])]))
        }
    }

    /// Total UTF-8 bytes of all strings.
    public var utf8Count: Int { utf8Bytes.count }

    /// Appends strings one at a time (the GGUF reader fills it straight from the file's bytes).
    struct Builder {
        private var utf8Bytes: [UInt8] = []
        private var starts: [UInt32] = [0]

        init(reservingCapacity count: Int = 0, utf8Count: Int = 0) {
            starts.reserveCapacity(count + 1)
            utf8Bytes.reserveCapacity(utf8Count)
        }

        mutating func append(_ s: String) {
            utf8Bytes.append(contentsOf: s.utf8)
            endString()
        }

        /// Appends bytes read from a file. Invalid UTF-8 is repaired with U+FFFD, as `String(decoding:as:)` does.
        mutating func append(utf8 bytes: UnsafeRawBufferPointer) {
            if bytes.allSatisfy({ $0 < 0x80 }) {
                utf8Bytes.append(contentsOf: bytes)
            } else {
                utf8Bytes.append(contentsOf: String(decoding: bytes, as: UTF8.self).utf8)
            }
            endString()
        }

        private mutating func endString() {
            precondition(utf8Bytes.count <= UInt32.max, "GGUFStringTable holds at most 4 GiB of UTF-8")
            starts.append(UInt32(utf8Bytes.count))
        }

        /// The table, without the buffers' spare capacity (growth can leave up to half of a buffer unused).
        func table() -> GGUFStringTable {
            GGUFStringTable(utf8Bytes: Self.trimmed(utf8Bytes), starts: Self.trimmed(starts))
        }

        private static func trimmed<T>(_ a: [T]) -> [T] {
            guard a.capacity - a.count > a.count / 16 + 16 else { return a }
            return [T](unsafeUninitializedCapacity: a.count) { buffer, count in
                _ = buffer.initialize(fromContentsOf: a)
                count = a.count
            }
        }
    }

    private init(utf8Bytes: [UInt8], starts: [UInt32]) {
        self.utf8Bytes = utf8Bytes
        self.starts = starts
    }
}
