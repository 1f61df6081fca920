import Foundation
import HeadwayTestSupport
import Testing

/// Out-of-range numbers and corrupted files given to the CLI (issue 12): a non-zero exit with a message naming the
/// option or file and the value, never a trap (a trap ends the process by a signal: status 4 or 5 with "Fatal error").
@Suite struct BadInputCLITests {
    func expectCleanFailure(_ arguments: [String], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLITests.run(arguments)
        #expect(r.status == 1 || r.status == 64, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error"), "\(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(r.stderr.contains(m), "'\(r.stderr)' should mention '\(m)'", sourceLocation: sourceLocation)
        }
    }

    @Test func planTokenBeyondTheLimit() throws {
        try expectCleanFailure(["plan", "--token", "100000000000000"], mentions: ["--token", "100000000000000"])
        try expectCleanFailure(["plan", "--token", "9223372036854775807"], mentions: ["--token", "9223372036854775807"])
        try expectCleanFailure(["plan", "--prompt", "9223372036854775807"], mentions: ["--prompt", "9223372036854775807"])
    }

    @Test func simulateAndStudyCountsBeyondTheLimits() throws {
        try expectCleanFailure(["simulate", "--tokens", "100000000000000", "--quiet"], mentions: ["--tokens", "100000000000000"])
        try expectCleanFailure(["study", "medium-scale", "--seeds", "1000000000"], mentions: ["--seeds", "1000000000"])
        try expectCleanFailure(["study", "small-scale", "--instances", "9223372036854775807"], mentions: ["--instances"])
    }

    @Test func scenarioWithHugeTokensAndLargestSeed() throws {
        let bad = try CLITests.temporaryFile(
            "model: smollm2-135m\ncluster: {generate: {devices: 3}}\nplanners: [greedy]\ntokens: 1e14\n", name: "huge.yaml")
        try expectCleanFailure(["simulate", bad, "--quiet"], mentions: ["huge.yaml", "'tokens'", "100000000000000"])
        let seeds = try CLITests.temporaryFile(
            "model: smollm2-135m\ncluster: {generate: {devices: 3}}\nplanners: [greedy]\ntokens: 2\nseed: 9223372036854775807\nrepetitions: 2\n",
            name: "seeds.yaml")
        let r = try CLITests.run(["simulate", seeds, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("9223372036854775807,9223372036854775808"), "\(r.stdout)")
    }

    @Test func cacheFormatWithHugeRegions() throws {
        try expectCleanFailure(["generate", "--kv-cache", "q8_0:9223372036854775807:1", "hi"], mentions: ["--kv-cache"])
    }

    @Test(.enabled(if: TestModel.isEnabled)) func generateNumbersBeyondTheModel() throws {
        let model = try TestModel.requiredPath()
        try expectCleanFailure(["generate", "--model", model, "--context", "100000000", "hi"],
                               mentions: ["--context 100000000", "8192"])
        try expectCleanFailure(["generate", "--model", model, "--context", "9223372036854775807", "hi"],
                               mentions: ["--context 9223372036854775807"])
        try expectCleanFailure(["generate", "--model", model, "--max-tokens", "9223372036854775807", "hi"],
                               mentions: ["--max-tokens 9223372036854775807"])
        try expectCleanFailure(["bench", "engine", "--model", model, "--prompt-tokens", "9223372036854775807"],
                               mentions: ["--prompt-tokens 9223372036854775807"])
    }

    /// The reproduction: byte 489 of SmolLM2-135M-Instruct.Q4_1.gguf (the high byte of `llama.block_count`)
    /// set to 0xFF made `headway generate` try to allocate 454 GB.
    @Test(.enabled(if: TestModel.isEnabled)) func generateWithByte489Corrupted() throws {
        let original = try TestModel.requiredPath()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headway-489-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("corrupt-489.gguf").path
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let h = try #require(FileHandle(forUpdatingAtPath: copy))
        try h.seek(toOffset: 489)
        try h.write(contentsOf: [0xFF])
        try h.close()
        try expectCleanFailure(["generate", "--model", copy, "hi"],
                               mentions: ["corrupt-489.gguf", "llama.block_count", "4278190110"])
    }
}
