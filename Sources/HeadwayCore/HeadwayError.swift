/// The one error type of HeadwayCore: a machine-readable code and a message naming the offending file, field and value.
public struct CoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static let invalidValue = Code("invalid-value")
        public static let missingField = Code("missing-field")
        public static let unknownName = Code("unknown-name")
        public static let inconsistent = Code("inconsistent")
        public static let malformed = Code("malformed")
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
