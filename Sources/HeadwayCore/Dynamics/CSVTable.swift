// A minimal CSV reader for traces: a header row naming the columns, comma-separated unquoted fields, whitespace
// trimmed, blank lines and lines starting with '#' skipped. Every error names the source, line, column and value.

/// A parsed CSV table with 1-based source line numbers kept for error messages.
struct CSVTable {
    let source: String
    let header: [String]
    /// (line number, fields) for each data row.
    let rows: [(line: Int, fields: [String])]

    init(text: String, source: String) throws {
        self.source = source
        var header: [String]? = nil
        var rows: [(Int, [String])] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingSpaces) }
            if let h = header {
                guard fields.count == h.count else {
                    throw CoreError(.malformed, "\(source):\(lineNumber): expected \(h.count) fields, got \(fields.count)")
                }
                rows.append((lineNumber, fields))
            } else {
                var seen = Set<String>()
                for name in fields {
                    guard !name.isEmpty else { throw CoreError(.malformed, "\(source):\(lineNumber): empty column name in header") }
                    guard seen.insert(name).inserted else {
                        throw CoreError(.malformed, "\(source):\(lineNumber): duplicate column '\(name)' in header")
                    }
                }
                header = fields
            }
        }
        guard let h = header else { throw CoreError(.malformed, "\(source): no header row") }
        self.header = h
        self.rows = rows
    }

    /// Index of a column that must be present.
    func require(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw CoreError(.missingField,
                "\(source):1: missing column '\(name)' (header: \(header.joined(separator: ",")))")
        }
        return i
    }

    func optional(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The field as a finite number >= 0.
    func nonNegative(_ fields: [String], _ column: Int, line: Int) throws -> Double {
        let text = fields[column]
        guard let x = Double(text), x.isFinite else {
            throw CoreError(.invalidValue, "\(source):\(line): column '\(header[column])' is not a number: '\(text)'")
        }
        guard x >= 0 else {
            throw CoreError(.invalidValue, "\(source):\(line): column '\(header[column])' must be >= 0, got \(text)")
        }
        return x
    }

    /// The field as an integer >= 0.
    func token(_ fields: [String], _ column: Int, line: Int) throws -> Int {
        let text = fields[column]
        guard let x = Int(text) else {
            throw CoreError(.invalidValue,
                "\(source):\(line): column '\(header[column])' is not a whole number: '\(text)'")
        }
        guard x >= 0 else {
            throw CoreError(.invalidValue, "\(source):\(line): column '\(header[column])' must be >= 0, got \(text)")
        }
        return x
    }

    /// The field as a boolean: 1/0, true/false, yes/no (case-insensitive).
    func bool(_ fields: [String], _ column: Int, line: Int) throws -> Bool {
        switch fields[column].lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default:
            throw CoreError(.invalidValue,
                "\(source):\(line): column '\(header[column])' is not a boolean (1/0/true/false): '\(fields[column])'")
        }
    }

    /// The field as a non-empty identifier.
    func name(_ fields: [String], _ column: Int, line: Int) throws -> String {
        guard !fields[column].isEmpty else {
            throw CoreError(.invalidValue, "\(source):\(line): column '\(header[column])' is empty")
        }
        return fields[column]
    }
}

fileprivate extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
