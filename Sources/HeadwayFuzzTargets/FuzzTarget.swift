/// One decoder of outside bytes, driven by the coverage-guided fuzzer (`scripts/fuzz.sh`, libFuzzer) and by the
/// corpus replay test (`HeadwayFuzzTests`).
///
/// A target feeds the input to a decoder and checks the promises every decoder makes about bad input: it either
/// accepts the input or throws its module's error type with a message naming the input; nothing else (a trap, an
/// unbounded allocation, another error type) is allowed. A target may check more (e.g. that a decoded value encodes
/// back to the same bytes).
///
/// Adding a target: write one file with a type conforming to `FuzzTarget`, and list the type in `FuzzTargets.all`.
/// Its corpus lives in `Tests/Fixtures/fuzz/<name>/`; `scripts/fuzz.sh <name>` fills it from `seeds()` on first run.
public protocol FuzzTarget: Sendable {
    /// The target's name on the command line and its corpus folder's name.
    static var name: String { get }
    /// Largest input worth trying (libFuzzer's `-max_len`).
    static var maxInputBytes: Int { get }
    /// Valid inputs to start from; each must be accepted.
    static func seeds() -> [[UInt8]]
    /// Decodes `input`. Returns whether it was accepted.
    /// - Throws: `FuzzFailure` when the decoder broke a promise.
    static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) -> Bool
}

/// A broken promise found by a fuzz target (the fuzzer turns it into a crash, so the input is saved).
public struct FuzzFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Every fuzz target.
public enum FuzzTargets {
    public static let all: [any FuzzTarget.Type] = [
        GGUFFuzzTarget.self,
        ModelFuzzTarget.self,
        KVSnapshotFuzzTarget.self,
        ScenarioFuzzTarget.self,
        HuggingFaceConfigFuzzTarget.self,
        TraceFuzzTarget.self,
        WireFrameFuzzTarget.self,
    ]

    public static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}

extension FuzzTarget {
    public static var maxInputBytes: Int { 4096 }

    /// `run` on an array.
    public static func run(bytes: [UInt8]) throws(FuzzFailure) -> Bool {
        try bytes.withUnsafeBytes { raw in Result { () throws(FuzzFailure) in try run(raw) } }.get()
    }

    /// Checks that `error` is `E` and that its message mentions `name`, else throws `FuzzFailure`.
    static func expect<E: Error & CustomStringConvertible>(
        _ error: any Error, is _: E.Type, naming name: String, _ message: (E) -> String
    ) throws(FuzzFailure) {
        guard let e = error as? E else {
            throw FuzzFailure("\(Self.name): expected \(E.self), got \(type(of: error)): \(error)")
        }
        guard message(e).contains(name) else {
            throw FuzzFailure("\(Self.name): error does not name '\(name)': \(e)")
        }
    }
}
