import Foundation
import HeadwayCore

/// A value read from a scenario file (JSON or YAML), with its path for error messages:
/// `scenario.yaml: field 'cluster.devices[2].memory_gb' must be >= 0, got -4`.
struct ScenarioNode {
    let value: Any
    let path: String
    let file: String

    init(_ value: Any, path: String = "", file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    func error(_ code: CoreError.Code, _ what: String) -> CoreError {
        CoreError(code, path.isEmpty ? "\(file): \(what)" : "\(file): field '\(path)' \(what)")
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var dictionary: [String: Any]? { value as? [String: Any] }

    func object() throws -> [String: Any] {
        guard let d = value as? [String: Any] else { throw error(.malformed, "must be a mapping, got \(describe(value))") }
        return d
    }

    /// Fails on keys outside `allowed`, so typos do not pass silently.
    func checkKeys(_ allowed: Set<String>) throws {
        for key in try object().keys where !allowed.contains(key) {
            throw CoreError(.unknownName,
                "\(file): unknown field '\(childPath(key))'; expected one of: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func has(_ key: String) -> Bool { (value as? [String: Any])?[key] != nil }

    func optional(_ key: String) throws -> ScenarioNode? {
        guard let v = try object()[key], !(v is NSNull) else { return nil }
        return ScenarioNode(v, path: childPath(key), file: file)
    }

    func field(_ key: String) throws -> ScenarioNode {
        guard let n = try optional(key) else {
            throw CoreError(.missingField, "\(file): missing field '\(childPath(key))'")
        }
        return n
    }

    func array() throws -> [ScenarioNode] {
        guard let a = value as? [Any] else { throw error(.malformed, "must be a list, got \(describe(value))") }
        return a.enumerated().map { ScenarioNode($1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws -> String {
        if let s = value as? String { return s }
        if let i = value as? Int { return String(i) }
        throw error(.invalidValue, "must be a string, got \(describe(value))")
    }

    func bool() throws -> Bool {
        if let b = value as? Bool { return b }
        if let s = value as? String, ["true", "false"].contains(s.lowercased()) { return s.lowercased() == "true" }
        throw error(.invalidValue, "must be true or false, got \(describe(value))")
    }

    func double() throws -> Double {
        let d: Double?
        switch value {
        case let v as Double: d = v
        case let v as Int: d = Double(v)
        case let v as String: d = Double(v)
        default: d = nil
        }
        guard let d, !d.isNaN else { throw error(.invalidValue, "must be a number, got \(describe(value))") }
        return d
    }

    func int() throws -> Int {
        if let i = value as? Int { return i }
        let d = try double()
        guard let i = Int(exactly: d) else {
            let why = d.isFinite && d == d.rounded() ? "must fit in a 64-bit integer" : "must be a whole number"
            throw error(.invalidValue, "\(why), got \(describe(value))")
        }
        return i
    }

    func double(_ key: String, min: Double? = nil, above: Double? = nil, max: Double? = nil, default value: Double? = nil)
        throws -> Double
    {
        guard let node = try optional(key) else {
            if let value { return value }
            throw CoreError(.missingField, "\(file): missing field '\(childPath(key))'")
        }
        let d = try node.double()
        if let min, d < min { throw node.error(.invalidValue, "must be >= \(fmt(min)), got \(fmt(d))") }
        if let above, !(d > above) { throw node.error(.invalidValue, "must be > \(fmt(above)), got \(fmt(d))") }
        if let max, d > max { throw node.error(.invalidValue, "must be <= \(fmt(max)), got \(fmt(d))") }
        if !d.isFinite { throw node.error(.invalidValue, "must be finite, got \(fmt(d))") }
        return d
    }

    func int(_ key: String, min: Int? = nil, max: Int? = nil, default value: Int? = nil) throws -> Int {
        guard let node = try optional(key) else {
            if let value { return value }
            throw CoreError(.missingField, "\(file): missing field '\(childPath(key))'")
        }
        let i = try node.int()
        if let min, i < min { throw node.error(.invalidValue, "must be >= \(min), got \(i)") }
        if let max, i > max { throw node.error(.invalidValue, "must be <= \(max), got \(i)") }
        return i
    }

    func string(_ key: String, default value: String? = nil) throws -> String {
        guard let node = try optional(key) else {
            if let value { return value }
            throw CoreError(.missingField, "\(file): missing field '\(childPath(key))'")
        }
        return try node.string()
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        try optional(key)?.bool() ?? value
    }
}

func describe(_ v: Any) -> String {
    switch v {
    case let s as String: return "'\(s)'"
    case is [Any]: return "a list"
    case is [String: Any]: return "a mapping"
    default: return "\(v)"
    }
}

func fmt(_ d: Double) -> String {
    if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
    return "\(d)"
}
