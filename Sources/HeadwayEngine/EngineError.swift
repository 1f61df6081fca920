/// The one error type of HeadwayEngine: a machine-readable code and a message naming the offending file, tensor,
/// field and value.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The file could not be opened or parsed as GGUF.
        public static let unreadableFile = Code("unreadable-file")
        /// `general.architecture` names an architecture the engine does not run.
        public static let unsupportedArchitecture = Code("unsupported-architecture")
        /// A required metadata key is absent or has the wrong type.
        public static let missingMetadata = Code("missing-metadata")
        /// A required tensor is absent.
        public static let missingTensor = Code("missing-tensor")
        /// A tensor has the wrong dimensions.
        public static let wrongTensorShape = Code("wrong-tensor-shape")
        /// A tensor is stored in a type the kernels do not handle (for that tensor).
        public static let unsupportedTensorType = Code("unsupported-tensor-type")
        /// A value (token id, position, option) is out of range.
        public static let invalidArgument = Code("invalid-argument")
        /// A serialized K/V cache does not match the block it is restored into.
        public static let badCacheSnapshot = Code("bad-cache-snapshot")
        /// The context window is full.
        public static let contextFull = Code("context-full")
        /// The CPU lacks instructions the engine was built for (see `CPUFeatures`).
        public static let unsupportedCPU = Code("unsupported-cpu")
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(message) [\(code)]" }
}
