import Foundation
import HeadwayTestSupport
import Testing

/// Runs the built `headway` binary as a user would and checks its output and exit status.
@Suite struct CLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `headway` executable built alongside this test bundle (`swift test` builds every product of the package;
    /// the test target cannot declare a dependency on it, see `staticRuntimeLink` in Package.swift).
    static var binary: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [here, here.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("headway")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return repo.appendingPathComponent(".build/release/headway")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.currentDirectoryURL = repo
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryFile(_ text: String, name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headway-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func helpListsTheCommands() throws {
        let r = try Self.run(["--help"])
        #expect(r.status == 0)
        for command in ["simulate", "plan", "evaluate", "study"] { #expect(r.stdout.contains(command), "\(command)") }
    }

    @Test func studyPlannerRowsAreParsedAndBadOnesNamed() throws {
        let r = try Self.run(["study", "medium-scale", "--quiet", "--tokens", "3", "--seeds", "1",
                              "--planner", "headway", "--planner", "g4=galaxy:kv_tokens=2051,max_group=4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\ng4 ") && r.stdout.contains("\nheadway "))
        for (row, needle) in [("g=galaxy:max_group=x", "max_group=x"), ("g=galaxy:bogus=1", "bogus"), ("g=nope", "nope")] {
            let bad = try Self.run(["study", "medium-scale", "--quiet", "--tokens", "3", "--seeds", "1", "--planner", row])
            #expect(bad.status != 0 && bad.stderr.contains(needle), "\(row): \(bad.stderr)")
        }
        let small = try Self.run(["study", "small-scale", "--instances", "1", "--planners", "resource-aware-forced-2T,nope"])
        #expect(small.status != 0 && small.stderr.contains("nope"), "\(small.stderr)")
    }

    @Test func referenceJSONReproducesTheAuthorsGreedyLatency() throws {
        let r = try Self.run(["simulate", "scenarios/reference-g1.json", "--format", "reference-json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let greedy = (json["algorithms"] as! [String: Any])["greedy"] as! [String: Any]
        let steps = greedy["steps"] as! [[String: Any]]
        #expect(steps.count == 5)
        #expect(abs((steps[0]["latency_s"] as! Double) - 0.038923141120000004) < 1e-12)
    }

    @Test func badScenarioFailsWithFileFieldAndValue() throws {
        let path = try Self.temporaryFile(
            """
            model: smollm2-135m
            cluster:
              devices: [{id: a, memory_gb: -3, compute_gflops: 10}]
            tokens: 5
            planners: [greedy]
            """, name: "neg.yaml")
        let r = try Self.run(["simulate", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("neg.yaml") && r.stderr.contains("cluster.devices[0].memory_gb") && r.stderr.contains("-3"),
                "\(r.stderr)")
    }

    @Test func missingScenarioFileIsAClearError() throws {
        let r = try Self.run(["simulate", "/nonexistent/scenario.yaml"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/scenario.yaml"))
    }

    @Test func planPrintsAPlacementAsJSON() throws {
        let r = try Self.run(["plan", "--model", "smollm2-135m", "--token", "10", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((json["assignment"] as! [String: String]).count == 30 * 5)
        #expect((json["latency_s"] as! Double) > 0)
    }

    @Test func simulateWritesReportFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headway-out-\(UUID().uuidString)").path
        let r = try Self.run(["simulate", "--tokens", "20", "--out", dir, "--quiet", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        for file in ["report.json", "tokens.csv", "summary.txt", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(file)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((json["planners"] as! [Any]).count == 7, "the default scenario runs seven planners")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg"))
    }


    @Test func badCacheFormatNamesTheOptionAndValue() throws {
        let r = try Self.run(["generate", "--kv-cache", "q8_0:4", "hello"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--kv-cache 'q8_0:4'"), "\(r.stderr)")
    }

    /// Greedy tokens of llama.cpp's reference run (Tests/Fixtures/smollm2/llamacpp-reference.json), with both cache
    /// formats; the JSON output has the documented fields.
    @Test(.enabled(if: TestModel.isEnabled), arguments: ["f16", "q8_0:4:128"])
    func generateMatchesLlamaCppGreedyTokens(cacheFormat: String) throws {
        let r = try Self.run(["generate", "--model", try TestModel.requiredPath(), "--kv-cache", cacheFormat, "--max-tokens", "10",
                              "--format", "json", "The capital of France is"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["prompt_tokens"] as? Int == 5)
        #expect(json["tokens"] as? [Int] == [7042, 30, 198, 198, 504, 1797, 1918, 553, 253, 2155])
        #expect((json["text"] as? String)?.hasPrefix(" Paris.") == true)
        #expect((json["decode_tokens_per_second"] as? Double ?? 0) > 0)
    }

    /// The coordinator with three local worker processes (real TCP on loopback), a block moved every 3 tokens:
    /// the same greedy tokens as the fixture, a JSON report with migrations and epochs, and no worker left behind.
    @Test(.enabled(if: TestModel.isEnabled), arguments: ["f16", "q8_0:4:128"])
    func generateOverLocalWorkersMatchesOneProcess(cacheFormat: String) throws {
        let r = try Self.run(["generate", "--model", try TestModel.requiredPath(), "--kv-cache", cacheFormat, "--max-tokens", "10",
                              "--local-workers", "3", "--force-migration-every", "3", "--format", "json", "The capital of France is"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["tokens"] as? [Int] == [7042, 30, 198, 198, 504, 1797, 1918, 553, 253, 2155])
        let migrations = json["migrations"] as? [[String: Any]] ?? []
        #expect(migrations.count >= 2)
        #expect(migrations.allSatisfy { ($0["bytes"] as? Int ?? 0) > 0 && $0["pause_ms"] is Double && $0["from"] is String })
        #expect((json["epochs"] as? [[String: Any]])?.count == migrations.count + 1)
        #expect((json["devices"] as? [[String: Any]])?.count == 4)
        #expect(r.stderr.contains("joined local3"))
        // The workers exited with the coordinator.
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/bin/sh")
        ps.arguments = ["-c", "sleep 0.5; ps -eo args | grep -c '^\(Self.binary.path) worker' || true"]
        let out = Pipe()
        ps.standardOutput = out
        try ps.run()
        ps.waitUntilExit()
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func unreachableWorkerIsNamed() throws {
        let r = try Self.run(["generate", "--model", try TestModel.requiredPath(), "--workers", "127.0.0.1:1", "hello"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("127.0.0.1:1"), "\(r.stderr)")
    }

    /// `kill -9` of a local worker process at a random moment of generation: the coordinator notices, re-places the
    /// blocks on the survivors, replays the history, and the tokens are those of one process.
    @Test(.enabled(if: TestModel.isEnabled), arguments: [1, 2])
    func killingAWorkerProcessLosesNothing(seed: Int) throws {
        let model = try TestModel.requiredPath()
        let single = try Self.run(["generate", "--model", model, "--max-tokens", "48", "--format", "json", "Tell me about the sea."])
        let expected = (try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as! [String: Any])["tokens"] as? [Int]
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = ["generate", "--model", model, "--max-tokens", "48", "--local-workers", "3", "--placement", "layers",
                       "--format", "json", "Tell me about the sea."]
        p.currentDirectoryURL = Self.repo
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Wait until the three workers have joined, then kill one of them after a random delay.
        var log = ""
        while !log.contains("joined local3") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
        }
        usleep(useconds_t(50_000 * seed))
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-P", "\(p.processIdentifier)"]
        let pids = Pipe()
        pgrep.standardOutput = pids
        try pgrep.run()
        pgrep.waitUntilExit()
        let children = String(decoding: pids.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        #expect(children.count == 3)
        if let victim = children.dropFirst(seed % max(1, children.count)).first { kill(victim, SIGKILL) }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        log += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(log)")
        let json = try JSONSerialization.jsonObject(with: Data(o)) as! [String: Any]
        #expect(json["tokens"] as? [Int] == expected)
        let recoveries = json["recoveries"] as? [[String: Any]] ?? []
        #expect(recoveries.count == 1, "\(log)")
        #expect((recoveries.first?["detection_ms"] as? Double ?? 1e9) < 1000)
        #expect(log.contains("lost at token"))
    }

    /// The same greedy tokens with every kernel set this CPU runs (chosen by --kernels, or by HEADWAY_KERNELS): with
    /// the flag, all 128 tokens of llama.cpp's reference run (its text), with the variable the first 10. A set the CPU
    /// lacks is refused with `unsupported-cpu`, never run. The portable set runs everywhere.
    @Test(.enabled(if: TestModel.isEnabled), arguments: ["portable", "sse4", "avx2", "avx512-vnni", "neon"], [false, true])
    func everyKernelSetGivesLlamaCppGreedyTokens(kernels: String, throughEnvironment: Bool) throws {
        let fixture = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestModel.fixture("smollm2/llamacpp-reference.json"))) as! [String: Any]
        let reference = (fixture["cases"] as! [[String: Any]])[0]
        let tokens = throughEnvironment ? 10 : 128
        var arguments = ["generate", "--model", try TestModel.requiredPath(), "--kv-cache", "f16", "--max-tokens", String(tokens),
                         "--format", "json", reference["prompt"] as! String]
        if !throughEnvironment { arguments += ["--kernels", kernels] }
        let r = try Self.run(arguments, environment: throughEnvironment ? ["HEADWAY_KERNELS": kernels] : [:])
        if r.status != 0 {
            #expect(kernels != "portable", "\(r.stderr)")
            #expect(r.stderr.contains("unsupported-cpu") && r.stderr.contains(kernels), "\(r.stderr)")
            return
        }
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["kernels"] as? String == kernels)
        #expect((json["tokens"] as? [Int])?.prefix(10).elementsEqual(reference["greedy_first_10"] as! [Int]) == true, "\(kernels)")
        if !throughEnvironment {
            #expect(json["text"] as? String == reference["greedy_128_text"] as? String, "\(kernels)")
        }
    }
}
