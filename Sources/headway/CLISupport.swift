import ArgumentParser
import Foundation
import HeadwayCore
import HeadwayGGUF
import HeadwayPlanner
import HeadwaySimulator

/// Scenario loading shared by `plan`, `evaluate` and `simulate`.
enum CLI {
    static var loader: ScenarioLoader {
        ScenarioLoader(
            plannerNames: Set(PlannerRegistry.names),
            ggufShape: { path in try ModelShape(gguf: try GGUFFile(path: path)) })
    }

    /// The scenario at `path`, or the embedded default.
    static func scenario(path: String?) throws -> Scenario {
        guard let path else { return try loader.load(text: DefaultScenario.yaml, file: "<default scenario>") }
        return try loader.load(path: path)
    }

    static func planner(_ spec: PlannerSpec) throws -> any Planner {
        try PlannerRegistry.planner(named: spec.name, options: spec.options)
    }

    static func writeStdout(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    static func writeStderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// Maps library errors to a one-line message and a non-zero exit (no stack trace, no usage dump).
struct CLIError: Error, CustomStringConvertible {
    var description: String
}

func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as CoreError {
        throw CLIError(description: "error: \(e.message)")
    } catch let e as PlannerError {
        throw CLIError(description: "error: \(e.message)")
    } catch let e as GGUFError {
        throw CLIError(description: "error: \(e)")
    }
}

extension CLIError: LocalizedError {
    var errorDescription: String? { description }
}


