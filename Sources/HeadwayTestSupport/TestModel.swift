import Foundation

/// Locates the real SmolLM2-135M model for tests: env `HEADWAY_MODEL`, else `<repo>/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
///
/// Tests that need it use `@Test(.enabled(if: TestModel.isEnabled))` and `try TestModel.requiredPath()`. When the model
/// is missing they are skipped, except when env `CI` is set: then they run and fail, asking for `scripts/fetch-model.sh`.
public enum TestModel {
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The repository root, derived from this file's path (`<repo>/Sources/HeadwayTestSupport/TestModel.swift`).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The model's path, or `nil` when it is not present.
    public static let path: String? = {
        let env = ProcessInfo.processInfo.environment
        let candidate = env["HEADWAY_MODEL"] ?? repoRoot.appendingPathComponent("models/\(fileName)").path
        return FileManager.default.isReadableFile(atPath: candidate) ? candidate : nil
    }()

    /// Whether model-dependent tests run: the model is present, or we are on CI (where absence is a failure).
    public static let isEnabled: Bool = path != nil || ProcessInfo.processInfo.environment["CI"] != nil

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "model \(fileName) not found (set HEADWAY_MODEL or run scripts/fetch-model.sh to put it in models/)"
        }
    }

    public static func requiredPath() throws -> String {
        guard let path else { throw Missing() }
        return path
    }

    /// A fixture file under `<repo>/Tests/Fixtures/`.
    public static func fixture(_ relativePath: String) -> URL {
        repoRoot.appendingPathComponent("Tests/Fixtures/\(relativePath)")
    }
}
