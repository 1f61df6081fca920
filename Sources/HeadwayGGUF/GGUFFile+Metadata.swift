/// Typed metadata lookups. The optional forms return `nil` when the key is absent or has another type;
/// the `required…` forms throw `GGUFError` naming the key (`.missingKey`) or the wrong value (`.invalidValue`).
extension GGUFFile {
    public func value(_ key: String) -> GGUFValue? { metadata[key] }
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    public func float(_ key: String) -> Double? { metadata[key]?.floatValue }
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    public func stringArray(_ key: String) -> [String]? { metadata[key]?.stringArray }
    public func stringTable(_ key: String) -> GGUFStringTable? { metadata[key]?.stringTable }
    public func intArray(_ key: String) -> [Int]? { metadata[key]?.intArray }
    public func floatArray(_ key: String) -> [Double]? { metadata[key]?.floatArray }

    /// `general.architecture` (e.g. `llama`).
    public var architecture: String? { string(GGUFKey.architecture) }

    public func requiredValue(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError(.missingKey, "\(name): metadata key '\(key)' is missing") }
        return v
    }

    public func requiredInt(_ key: String) throws -> Int {
        try typed(key, "an integer") { $0.intValue }
    }

    public func requiredFloat(_ key: String) throws -> Double {
        try typed(key, "a number") { $0.floatValue }
    }

    public func requiredBool(_ key: String) throws -> Bool {
        try typed(key, "a bool") { $0.boolValue }
    }

    public func requiredString(_ key: String) throws -> String {
        try typed(key, "a string") { $0.stringValue }
    }

    public func requiredStringArray(_ key: String) throws -> [String] {
        try typed(key, "an array of strings") { $0.stringArray }
    }

    /// An array of strings as the table the file holds (no copy).
    public func requiredStringTable(_ key: String) throws -> GGUFStringTable {
        try typed(key, "an array of strings") { $0.stringTable }
    }

    public func requiredIntArray(_ key: String) throws -> [Int] {
        try typed(key, "an array of integers") { $0.intArray }
    }

    private func typed<T>(_ key: String, _ expected: String, _ get: (GGUFValue) -> T?) throws -> T {
        let v = try requiredValue(key)
        guard let t = get(v) else {
            throw GGUFError(.invalidValue, "\(name): metadata '\(key)' = \(v) (\(v.type)) is not \(expected)")
        }
        return t
    }
}
