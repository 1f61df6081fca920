import HeadwayGGUF
import Testing

/// Metadata arrays: the compact storage of arrays read from a file behaves like arrays of values.
@Suite struct GGUFArrayTests {
    static func file(_ entries: [(String, GGUFValue)]) throws -> GGUFFile {
        var w = GGUFWriter()
        for (k, v) in entries { w.add(k, v) }
        return try GGUFFile(bytes: w.serialize(), name: "arrays.gguf")
    }

    @Test func stringTableHoldsEveryString() {
        let strings = ["", "a", "ĠHello", String(repeating: "long ", count: 20), "日本 🙂", ""]
        let t = GGUFStringTable(strings)
        #expect(t.count == strings.count)
        #expect(Array(t) == strings)
        #expect(t.utf8Count == strings.reduce(0) { $0 + $1.utf8.count })
        for (i, s) in strings.enumerated() {
            #expect(Array(t.utf8(i)) == Array(s.utf8))
            #expect(t.withUTF8(i) { Array($0) } == Array(s.utf8))
        }
        #expect(t == GGUFStringTable(strings) && t != GGUFStringTable(strings.dropLast()))
        #expect(GGUFStringTable([]).isEmpty)
    }

    @Test func arraysReadFromAFileEqualArraysOfValues() throws {
        let strings: GGUFArray = [.string("a"), .string("ĠHello"), .string("")]
        let ints: GGUFArray = [.int32(1), .int32(-2), .int32(.max)]
        let f = try Self.file([("s", .array(strings)), ("i", .array(ints)), ("c", .array(.strings(["x", "y"])))])
        let s = try #require(f.value("s")?.arrayValue)
        let i = try #require(f.value("i")?.arrayValue)
        #expect(s == strings && i == ints)
        #expect(Set([GGUFValue.array(s), .array(i)]) == Set([.array(strings), .array(ints)]), "hash agrees with ==")
        #expect(s[1] == .string("ĠHello") && i[2] == .int32(.max))
        #expect(s.elementType == .string && i.elementType == .int32)
        #expect(f.stringTable("s") == GGUFStringTable(["a", "ĠHello", ""]))
        #expect(f.stringTable("i") == nil && f.stringArray("i") == nil)
        #expect(try f.requiredStringTable("c") == GGUFStringTable(["x", "y"]))
        #expect(GGUFArray(strings: GGUFStringTable(["x", "y"])) == [.string("x"), .string("y")])
    }

    @Test func emptyArraysKeepTheirTypeAndCountAsStringArrays() throws {
        var w = GGUFWriter()
        w.add("empty", .array([]))
        w.add("strings", .array(.strings([])))
        let f = try GGUFFile(bytes: w.serialize(), name: "arrays.gguf")
        #expect(f.value("empty")?.arrayValue?.isEmpty == true)
        #expect(f.value("strings")?.arrayValue?.elementType == .string)
        #expect(f.value("empty") == .array([]) && f.value("strings") == .array([]))
        #expect(f.stringArray("empty") == [] && f.stringTable("strings")?.isEmpty == true)
    }

    @Test func invalidUTF8InAStringArrayIsRepaired() throws {
        var w = GGUFWriter()
        w.add("s", .array(.strings(["ok", "aXc"])))
        var bytes = w.serialize()
        bytes[GGUFTestFiles.end(of: "aX", in: bytes) - 1] = 0xFF
        let f = try GGUFFile(bytes: bytes, name: "arrays.gguf")
        let t = try #require(f.stringTable("s"))
        #expect(Array(t) == ["ok", "a\u{FFFD}c"])
        #expect(Array(t.utf8(1)) == Array("a\u{FFFD}c".utf8))
    }

    @Test func badBoolInAnArrayIsNamed() throws {
        var w = GGUFWriter()
        w.add("flags", .array([.bool(true), .bool(false), .bool(true)]))
        var bytes = w.serialize()
        let first = GGUFTestFiles.end(of: "flags", in: bytes) + 4 + 4 + 8
        bytes[first + 1] = 7
        expectGGUFError(.invalidValue, mentioning: ["'flags'", "bool byte 7", "at byte \(first + 1)"], reading: bytes)
    }

    @Test func truncatedStringArrayIsNamed() throws {
        var w = GGUFWriter()
        w.add("s", .array(.strings(["aaaa", "bbbb"])))
        var bytes = w.serialize()
        // The second string's length is made to run past the end of the file.
        GGUFTestFiles.put(UInt64(1 << 20), at: GGUFTestFiles.end(of: "aaaa", in: bytes), in: &bytes)
        expectGGUFError(.truncated, mentioning: ["string value of 's'", "length 1048576"], reading: bytes)
    }
}
