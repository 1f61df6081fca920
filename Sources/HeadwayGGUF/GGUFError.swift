/// The one error type of HeadwayGGUF: a machine-readable code and a message naming the file, the item and the value.
///
/// Every malformed input throws one of these; the reader never traps on file contents.
public struct GGUFError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file does not start with `GGUF`.
        public static let badMagic = Code("bad-magic")
        /// The header's version is not 2 or 3.
        public static let unsupportedVersion = Code("unsupported-version")
        /// A read (header field, string, array, tensor info) runs past the end of the file.
        public static let truncated = Code("truncated")
        /// `general.alignment` is not a power of two, or a tensor offset is not a multiple of it.
        public static let badAlignment = Code("bad-alignment")
        /// A metadata key appears twice.
        public static let duplicateKey = Code("duplicate-key")
        /// A tensor name appears twice.
        public static let duplicateTensor = Code("duplicate-tensor")
        /// A tensor's GGML type id is unknown, or its block layout is not known.
        public static let unknownType = Code("unknown-type")
        /// A tensor's data lies (partly) outside the file.
        public static let tensorOutOfBounds = Code("tensor-out-of-bounds")
        /// A tensor's shape is invalid: dimension count outside 1...4, element count overflow, row not a whole number of blocks.
        public static let invalidShape = Code("invalid-shape")
        /// A header field or metadata value is out of range or of the wrong type.
        public static let invalidValue = Code("invalid-value")
        /// A required metadata key is absent.
        public static let missingKey = Code("missing-key")
        /// A required tensor is absent.
        public static let missingTensor = Code("missing-tensor")
        /// The file is well-formed but uses something this package does not implement
        /// (a tokenizer model or pre-tokenizer, a chat template).
        public static let unsupported = Code("unsupported")
        /// The file could not be opened, inspected or mapped.
        public static let io = Code("io")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}
