import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HeadwayTestSupport
import Testing

/// `headway serve` as a user starts it, against `headway generate` on the same model.
@Suite(.serialized) struct ServeCLITests {
    /// A started `headway serve`; stopped (SIGTERM) by `stop`.
    final class Served: @unchecked Sendable {
        let process = Process()
        var port = 0

        init(_ arguments: [String]) throws {
            process.executableURL = CLITests.binary
            process.arguments = ["serve", "--port", "0"] + arguments
            process.currentDirectoryURL = CLITests.repo
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // The first stderr line names the address: "headway serve: MODEL on http://127.0.0.1:PORT/ (...)".
            var seen = ""
            let deadline = Date().addingTimeInterval(60)
            while port == 0 && Date() < deadline && process.isRunning {
                let data = err.fileHandleForReading.availableData
                if data.isEmpty { break }
                seen += String(decoding: data, as: UTF8.self)
                if let r = seen.firstMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\//) { port = Int(r.1)! }
            }
            guard port > 0 else {
                process.terminate()
                throw CLIFailure(description: "headway serve did not report its port: \(seen)")
            }
        }

        func stop() -> Int32 {
            process.terminate()  // SIGTERM: graceful shutdown
            process.waitUntilExit()
            return process.terminationStatus
        }

        func post(_ path: String, _ body: [String: Any]) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await URLSession.shared.data(for: request)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            return ((response as! HTTPURLResponse).statusCode, json)
        }
    }

    struct CLIFailure: Error, CustomStringConvertible { var description: String }

    /// On one machine, and over two local worker processes (the model split by layers over them).
    @Test(.enabled(if: TestModel.isEnabled), arguments: [
        ("What is the capital of France?", [String]()), ("Write a haiku about the sea.", []),
        ("What is the capital of France?", ["--local-workers", "2", "--placement", "layers"]),
    ])
    func greedyChatCompletionEqualsGenerateChat(message: String, workers: [String]) async throws {
        let model = try TestModel.requiredPath()
        let g = try CLITests.run(["generate", "--model", model, "--chat", "--max-tokens", "40", "--format", "json", message])
        #expect(g.status == 0, "\(g.stderr)")
        let generated = try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as! [String: Any]
        let expectedTokens = try #require(generated["tokens"] as? [Int])
        let served = try Served(["--model", model] + workers)
        let (status, json) = try await served.post("/v1/chat/completions", [
            "messages": [["role": "user", "content": message]], "max_tokens": 40, "temperature": 0, "return_tokens": true,
        ])
        #expect(served.stop() == 0, "serve should exit cleanly on SIGTERM")
        #expect(status == 200, "\(json)")
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(choice["tokens"] as? [Int] == expectedTokens)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == generated["text"] as? String)
        #expect((json["usage"] as? [String: Int])?["prompt_tokens"] == generated["prompt_tokens"] as? Int)
    }

    @Test func badOptionsAreRefusedWithTheirValue() throws {
        let r = try CLITests.run(["serve", "--port", "70000"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("70000"), "\(r.stderr)")
        let m = try CLITests.run(["serve", "--model", "/nonexistent/model.gguf"])
        #expect(m.status != 0)
        #expect(m.stderr.contains("/nonexistent/model.gguf"), "\(m.stderr)")
    }
}
