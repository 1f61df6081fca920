import Foundation
import HeadwayEngine
import HeadwayServer
import HeadwayTestSupport
import Testing

/// The server over the real model (SmolLM2-135M), in this process, through real HTTP on loopback.
@Suite(.serialized, .enabled(if: TestModel.isEnabled)) struct ServerTests {
    static let questions = [
        "What is the capital of France?", "Name three colors.", "Count from 1 to 5.", "What is 2 + 2?",
        "Say hello in Spanish.", "What is the largest planet?", "Name a fruit that is yellow.", "What do bees make?",
        "Write one word that rhymes with cat.", "What is water made of?", "Name a day of the week.",
        "How many legs does a spider have?", "What color is the sky?", "Who wrote Hamlet?", "What is ice?",
        "Name an animal that can fly.",
    ]

    static func chat(_ content: String, maxTokens: Int = 24, temperature: Double = 0, seed: Int = 0) -> [String: Any] {
        ["messages": [["role": "user", "content": content]], "max_tokens": maxTokens, "temperature": temperature,
         "seed": seed, "return_tokens": true]
    }

    @Test func chatCompletionHasTheOpenAIShapeAndUsage() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let r = try await request(server.port, "POST", "/v1/chat/completions", json: Self.chat("What is the capital of France?"))
        #expect(r.status == 200, "\(r.text)")
        let j = r.json
        #expect(j["object"] as? String == "chat.completion")
        #expect(j["model"] as? String == server.backend.modelID)
        let choice = try #require((j["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        let text = try #require(message["content"] as? String)
        // llama.cpp's own llama-server answers this message greedily with the same words (checked 2026-12-07).
        #expect(text.hasPrefix("L'Étoile, la Marseillaise"), "\(text)")
        let usage = try #require(j["usage"] as? [String: Int])
        let tokens = try #require(choice["tokens"] as? [Int])
        #expect(usage["completion_tokens"] == tokens.count)
        #expect(usage["total_tokens"] == usage["prompt_tokens"]! + tokens.count)
        #expect(["stop", "length"].contains(choice["finish_reason"] as? String ?? ""))
        // The same request streamed gives the same text and tokens.
        let streamed = try await streamChat(server.port, Self.chat("What is the capital of France?"))
        #expect(streamed.text == text)
        #expect(streamed.tokens == tokens)
        #expect(streamed.finishReason == choice["finish_reason"] as? String)
    }

    @Test func completionsModelsHealthAndMetrics() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let c = try await request(server.port, "POST", "/v1/completions",
                                  json: ["prompt": "The capital of France is", "max_tokens": 8, "temperature": 0])
        #expect(c.status == 200, "\(c.text)")
        #expect(c.json["object"] as? String == "text_completion")
        let choice = try #require((c.json["choices"] as? [[String: Any]])?.first)
        #expect((choice["text"] as? String)?.isEmpty == false)
        #expect(choice["finish_reason"] as? String == "length")
        #expect((c.json["usage"] as? [String: Int])?["completion_tokens"] == 8)

        let models = try await request(server.port, "GET", "/v1/models")
        let ids = (models.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == [server.backend.modelID])

        let health = try await request(server.port, "GET", "/health")
        #expect(health.status == 200 && health.json["status"] as? String == "ok")

        let metrics = try await request(server.port, "GET", "/metrics")
        #expect(metrics.status == 200)
        for name in ["headway_tokens_generated_total 8", "headway_time_to_first_token_seconds_bucket",
                     "headway_token_latency_seconds_bucket", #"headway_requests_total{endpoint="completions",outcome="ok"} 1"#,
                     #"headway_device_up{device=""#, #"headway_sequences{state="active"} 0"#] {
            #expect(metrics.text.contains(name), "\(name) missing from /metrics")
        }

        let status = try await request(server.port, "GET", "/v1/status")
        let placement = try #require(status.json["placement"] as? [[String: Any]])
        let c0 = server.backend.model.configuration
        #expect(placement.count == c0.layerCount * (c0.kvHeadCount + 2))
        #expect(placement.allSatisfy { $0["device"] as? Int == 0 })

        let page = try await request(server.port, "GET", "/")
        #expect(page.status == 200 && page.text.contains("id=\"placement\"") && page.text.contains("id=\"chat-input\""))
    }

    @Test func stopStringsEndTheAnswerBeforeThem() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let full = try await streamChat(server.port, Self.chat("Count from 1 to 5.", maxTokens: 40))
        // Stop at the second word of the full answer: the answer is exactly the text before it.
        let words = full.text.split(separator: " ", omittingEmptySubsequences: true)
        try #require(words.count >= 3, "\(full.text)")
        let stop = " " + String(words[1])
        let expected = String(full.text[..<full.text.range(of: stop)!.lowerBound])
        var body = Self.chat("Count from 1 to 5.", maxTokens: 40)
        body["stop"] = [stop, "never appears"]
        let r = try await request(server.port, "POST", "/v1/chat/completions", json: body)
        let choice = try #require((r.json["choices"] as? [[String: Any]])?.first)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == expected)
        #expect(choice["finish_reason"] as? String == "stop")
        let streamed = try await streamChat(server.port, body)
        #expect(streamed.text == expected)
    }

    /// 16 clients at once, greedy and seeded sampling mixed: each gets exactly what it gets alone.
    @Test func sixteenConcurrentStreamsMatchTheirSingleClientOutputs() async throws {
        let server = try await RunningServer.start(parallel: 16)
        defer { Task { await server.stop() } }
        let bodies = Self.questions.enumerated().map { i, q in
            i % 2 == 0 ? Self.chat(q, maxTokens: 20) : Self.chat(q, maxTokens: 20, temperature: 0.9, seed: 1000 + i)
        }
        var alone: [StreamedChat] = []
        for b in bodies { alone.append(try await streamChat(server.port, b)) }
        let together = try await withThrowingTaskGroup(of: (Int, StreamedChat).self) { group in
            let port = server.port
            for (i, b) in bodies.enumerated() {
                var streamed = b
                streamed["stream"] = true
                let data = try JSONSerialization.data(withJSONObject: streamed)
                group.addTask { (i, try await streamChat(port, data: data)) }
            }
            var out = [StreamedChat?](repeating: nil, count: bodies.count)
            for try await (i, r) in group { out[i] = r }
            return out.map { $0! }
        }
        for i in bodies.indices {
            #expect(together[i].tokens == alone[i].tokens, "client \(i): \(Self.questions[i])")
            #expect(together[i].text == alone[i].text, "client \(i)")
            #expect(!alone[i].tokens.isEmpty)
        }
        #expect(Set(alone.map(\.text)).count > 8, "different questions should give different answers")
        let status = await server.backend.status()
        #expect(status.activeSequences == 0 && status.queuedSequences == 0)
    }

    @Test func aClientThatHangsUpFreesItsSequence() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let body = try JSONSerialization.data(withJSONObject: Self.chat("Write a very long story about a dragon.", maxTokens: 1500)
            .merging(["stream": true]) { $1 })
        let port = server.port
        try await offPool {
            let c = try TestConnection(port: port)
            try c.send("POST", "/v1/chat/completions", body: body)
            var reader = SSEReader(c)
            for _ in 0..<4 { _ = try reader.next() }
            c.hangUp()
        }
        let before = await server.backend.status()
        #expect(before.tokensGenerated < 1500)
        var freed = false
        for _ in 0..<100 {
            let s = await server.backend.status()
            if s.activeSequences == 0 && s.queuedSequences == 0 { freed = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(freed, "the sequence is still active 10 s after its client hung up")
        let after = await server.backend.status()
        #expect(after.tokensGenerated < 200, "generation went on after the hang-up: \(after.tokensGenerated) tokens")
        let metrics = try await request(server.port, "GET", "/metrics")
        #expect(metrics.text.contains(#"headway_requests_total{endpoint="chat",outcome="disconnected"} 1"#), "\(metrics.text)")
        // The server still serves.
        let r = try await request(server.port, "POST", "/v1/chat/completions", json: Self.chat("What is 2 + 2?", maxTokens: 4))
        #expect(r.status == 200)
    }

    static func error(_ r: HTTPReply) -> (message: String, type: String, code: String)? {
        guard let e = r.json["error"] as? [String: Any], let m = e["message"] as? String, let t = e["type"] as? String,
              let c = e["code"] as? String, e.keys.contains("param") else { return nil }
        return (m, t, c)
    }

    @Test func errorsHaveTheOpenAIShapeAndStatus() async throws {
        let server = try await RunningServer.start(context: 64)
        defer { Task { await server.stop() } }
        let port = server.port

        let malformed = try await request(port, "POST", "/v1/chat/completions", raw: "{\"messages\": [")
        #expect(malformed.status == 400)
        #expect(Self.error(malformed)?.code == "invalid_json", "\(malformed.text)")

        let missing = try await request(port, "POST", "/v1/chat/completions", json: ["model": server.backend.modelID])
        #expect(missing.status == 400)
        #expect(Self.error(missing)?.message.contains("messages") == true, "\(missing.text)")

        let wrongType = try await request(port, "POST", "/v1/chat/completions", json: ["messages": [["role": "user", "content": "hi"]], "max_tokens": "ten"])
        #expect(wrongType.status == 400)
        #expect(Self.error(wrongType)?.message.contains("max_tokens") == true, "\(wrongType.text)")

        var unknown = Self.chat("hi")
        unknown["model"] = "gpt-4o"
        let notFound = try await request(port, "POST", "/v1/chat/completions", json: unknown)
        #expect(notFound.status == 404)
        #expect(Self.error(notFound)?.code == "model_not_found")
        #expect(Self.error(notFound)?.message.contains("gpt-4o") == true)

        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20)
        let tooLong = try await request(port, "POST", "/v1/chat/completions", json: Self.chat(long))
        #expect(tooLong.status == 400)
        let e = try #require(Self.error(tooLong), "\(tooLong.text)")
        #expect(e.code == "context_length_exceeded")
        let promptTokens = server.backend.tokenizer.encode(
            server.backend.chatTemplate!.render([.user(long)]), addSpecial: true, parseSpecial: true).count
        #expect(e.message.contains("\(promptTokens) tokens") && e.message.contains("64 tokens"), "\(e.message)")
        var streamedLong = Self.chat(long)
        streamedLong["stream"] = true
        #expect(try await request(port, "POST", "/v1/chat/completions", json: streamedLong).status == 400)

        let badTemperature = try await request(port, "POST", "/v1/chat/completions", json: Self.chat("hi", temperature: 5))
        #expect(badTemperature.status == 400 && Self.error(badTemperature)?.message.contains("temperature") == true)

        let noRoute = try await request(port, "GET", "/v2/nothing")
        #expect(noRoute.status == 404 && Self.error(noRoute) != nil, "\(noRoute.text)")
    }

    @Test func noDeviceAbleToHoldTheModelIs503() async throws {
        let server = try await RunningServer.start(memoryBytes: 50_000_000)  // the model file alone is 98 MB
        defer { Task { await server.stop() } }
        for stream in [false, true] {
            var body = Self.chat("hi")
            body["stream"] = stream
            let r = try await request(server.port, "POST", "/v1/chat/completions", json: body)
            #expect(r.status == 503, "\(r.text)")
            let e = try #require(Self.error(r))
            #expect(e.code == "unavailable" && e.message.contains("50000000"), "\(e.message)")
        }
        #expect(try await request(server.port, "GET", "/health").status == 503)
    }
}
