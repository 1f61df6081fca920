/// The one error type of HeadwayRuntime: a machine-readable code and a message naming the worker, block, field or
/// value at fault.
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// Bytes from a peer that are not a valid frame or message (bad magic, version, length, field).
        public static let badFrame = Code("bad-frame")
        /// A frame larger than the configured cap.
        public static let frameTooLarge = Code("frame-too-large")
        /// A worker could not be reached, or its connection closed.
        public static let unreachable = Code("unreachable")
        /// A worker did not answer in time.
        public static let timeout = Code("timeout")
        /// A worker refused a request (it names why).
        public static let refused = Code("refused")
        /// Worker and coordinator disagree on the model or protocol.
        public static let incompatible = Code("incompatible")
        /// No placement fits the devices (memory) or the planner failed.
        public static let noPlacement = Code("no-placement")
        /// A migration did not complete (the source keeps the block).
        public static let migrationFailed = Code("migration-failed")
        /// A bad option or argument.
        public static let invalidArgument = Code("invalid-argument")
        /// The engine failed (context full, bad snapshot...).
        public static let engine = Code("engine")
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(message) [\(code)]" }
}
