import Foundation
import HeadwayCore
import Yams

/// Turns the text of a scenario file into a tree of values, within limits that keep a hostile or broken file from
/// exhausting the stack or memory:
/// - at most `maxBytes` of text;
/// - at most `maxNesting` levels of nesting: the YAML composer recurses once per level, so depth is bounded from the
///   text before it runs (an over-estimate: open flow brackets, plus indentation levels, plus the `- ` / `: ` / `? `
///   markers outside brackets on one line);
/// - at most `maxNodes` values once aliases are expanded: `*alias` shares a subtree, and a few lines of nested
///   aliases expand to billions of values ("billion laughs"), so the tree is counted before it is converted.
enum ScenarioText {
    static let maxBytes = 16 << 20
    static let maxNesting = 100
    static let maxNodes = 1_000_000

    /// The top-level value of `text` (`nil` for an empty document).
    /// - Throws: `CoreError.Code.malformed` naming `file` and the limit or the parser's complaint.
    static func parse(_ text: String, file: String) throws -> Any? {
        let bytes = text.utf8.count
        guard bytes <= maxBytes else {
            throw CoreError(.malformed, "\(file): \(bytes) bytes; scenario files may have at most \(maxBytes)")
        }
        let depth = nestingBound(text)
        guard depth <= maxNesting else {
            throw CoreError(.malformed, "\(file): nests up to \(depth) levels deep; at most \(maxNesting) are allowed")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw CoreError(.malformed, "\(file): not valid JSON or YAML: \(error)")
        }
        guard let node else { return nil }
        var budget = maxNodes
        switch check(node, budget: &budget) {
        case .fine: break
        case .tooLarge:
            throw CoreError(.malformed,
                "\(file): expands to more than \(maxNodes) values (aliases repeat their anchors' contents)")
        case .complexKey(let line):
            throw CoreError(.malformed, "\(file): line \(line): a mapping key must be a single value, not a list or mapping")
        case .sexagesimal(let line, let text):
            throw CoreError(.malformed,
                "\(file): line \(line): '\(text)' is a base-60 integer (YAML 1.1), which is not supported; quote it if it is text")
        }
        return node.any
    }

    /// The bytes of a file named by a scenario (the scenario itself, a trace, a `config.json`), read only when it is a
    /// regular file of at most `maxBytes` (a device such as `/dev/zero` or a huge file is refused before reading).
    /// - Throws: `CoreError` (`.io` when it cannot be read or is not a regular file, `.malformed` when too large), with
    ///   `describe` naming who asked (`file: field 'x'`).
    static func readFile(_ path: String, _ describe: String) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw CoreError(.io, "\(describe): cannot read '\(path)'")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CoreError(.io, "\(describe): '\(path)' is not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxBytes else {
            throw CoreError(.malformed, "\(describe): '\(path)' has \(size) bytes; at most \(maxBytes) are read")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoreError(.io, "\(describe): cannot read '\(path)'")
        }
        return data
    }

    /// `readFile` as UTF-8 text (invalid sequences repaired).
    static func readText(_ path: String, _ describe: String) throws -> String {
        String(decoding: try readFile(path, describe), as: UTF8.self)
    }

    private enum Check { case fine, tooLarge, complexKey(line: Int), sexagesimal(line: Int, text: String) }

    /// Counts the values of `node`, aliases expanded, stopping once `budget` is spent, and refuses what the YAML
    /// library's conversion traps on: a list or mapping as a mapping key, and base-60 integers (`1:20`), whose
    /// conversion overflows unchecked.
    private static func check(_ node: Node, budget: inout Int) -> Check {
        budget -= 1
        guard budget >= 0 else { return .tooLarge }
        switch node {
        case .scalar(let s):
            if node.tag.description == Tag.Name.int.rawValue, s.string.contains(":") { return .sexagesimal(line: (s.mark?.line ?? 0), text: s.string) }
            return .fine
        case .sequence(let s):
            for n in s {
                let c = check(n, budget: &budget)
                guard case .fine = c else { return c }
            }
            return .fine
        case .mapping(let m):
            for (k, v) in m {
                guard case .scalar = k else { return .complexKey(line: (k.mark?.line ?? 0)) }
                let c = check(v, budget: &budget)
                guard case .fine = c else { return c }
            }
            return .fine
        }
    }

    /// An upper bound on the nesting depth of the YAML (or JSON) in `text`.
    static func nestingBound(_ text: String) -> Int {
        var deepest = 0
        var flow = 0
        var indents: [Int] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var i = line.startIndex
            var indent = 0
            while i < line.endIndex, line[i] == UInt8(ascii: " ") || line[i] == UInt8(ascii: "\t") {
                indent += 1
                i = line.index(after: i)
            }
            guard i < line.endIndex, line[i] != UInt8(ascii: "#"), line[i] != UInt8(ascii: "\r") else { continue }
            while let last = indents.last, last >= indent { indents.removeLast() }
            indents.append(indent)
            var markers = 0
            var flowHere = flow
            var previous: UInt8 = UInt8(ascii: " ")
            for b in line[i...] {
                switch b {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flow += 1
                    flowHere = max(flowHere, flow)
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flow = max(0, flow - 1)
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    // Block markers nest; inside brackets only the brackets do.
                    if flow == 0, previous == UInt8(ascii: "-") || previous == UInt8(ascii: ":") || previous == UInt8(ascii: "?") {
                        markers += 1
                    }
                default: break
                }
                previous = b
            }
            if flow == 0, previous == UInt8(ascii: "-") || previous == UInt8(ascii: ":") || previous == UInt8(ascii: "?") {
                markers += 1
            }
            deepest = max(deepest, indents.count + markers + flowHere)
        }
        return deepest
    }
}
