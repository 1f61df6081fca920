import Foundation
import HeadwayEngine
import Hummingbird
import Logging

/// The OpenAI-compatible HTTP server over an `InferenceBackend`:
/// `POST /v1/chat/completions`, `POST /v1/completions` (both streamed with server-sent events or not),
/// `GET /v1/models`, `GET /health`, `GET /metrics` (Prometheus), `GET /v1/status` (the `ClusterStatus` as JSON)
/// and `GET /` (the dashboard).
public struct HTTPServer: Sendable {
    public let backend: any InferenceBackend
    public let metrics: ServerMetrics
    let generation: TextGeneration
    let created = Int(Date().timeIntervalSince1970)
    /// Largest request body read.
    static let maxBody = 8 << 20

    public init(backend: any InferenceBackend, metrics: ServerMetrics = ServerMetrics()) {
        self.backend = backend
        self.metrics = metrics
        generation = TextGeneration(backend: backend, metrics: metrics)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: Dashboard.html)))
        }
        router.get("/health") { _, _ in try await self.health() }
        router.get("/v1/models") { _, _ in
            Self.json(ModelList(data: [.init(id: backend.modelID, created: created, context_length: backend.contextLength)]))
        }
        router.get("/v1/models/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard self.serves(id) else { throw self.unknownModel(id) }
            return Self.json(ModelList.Model(id: backend.modelID, created: created, context_length: backend.contextLength))
        }
        router.get("/v1/status") { _, _ in Self.json(await backend.status()) }
        router.get("/metrics") { _, _ in
            let text = metrics.render(status: await backend.status())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/chat/completions") { request, _ in
            try await self.counted("chat") { try await self.chat(request) }
        }
        router.post("/v1/completions") { request, _ in
            try await self.counted("completions") { try await self.complete(request) }
        }
        return router
    }

    /// The application on `host:port` (port 0: any free port); `onRunning` gets the port it listens on.
    /// Logs at `notice` and above unless `logger` says otherwise (env `LOG_LEVEL=info` shows Hummingbird's own lines).
    public func application(
        host: String, port: Int, logger: Logger? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> Application<RouterResponder<BasicRequestContext>> {
        var log = logger ?? Logger(label: "headway")
        if logger == nil {
            log.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        }
        return Application(
            router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "headway"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: log)
    }

    // MARK: Endpoints

    private func health() async throws -> Response {
        let s = await backend.status()
        let up = s.devices.filter(\.up).count
        guard up > 0 else {
            throw ServerError(.unavailable, "no device is up (\(s.devices.count) known): the model cannot be served")
        }
        struct Health: Encodable {
            var status = "ok"
            var model: String
            var devices_up: Int
            var devices: Int
            var active_sequences: Int
            var queued_sequences: Int
        }
        return Self.json(Health(model: s.model, devices_up: up, devices: s.devices.count,
                                active_sequences: s.activeSequences, queued_sequences: s.queuedSequences))
    }

    private func chat(_ request: Request) async throws -> Response {
        let r: ChatCompletionRequest = try await Self.decode(request, endpoint: "/v1/chat/completions")
        try checkModel(r.model)
        guard !r.messages.isEmpty else { throw ServerError(.invalidValue, "messages is empty: give at least one message", param: "messages") }
        let settings = try GenerationSettings(r, maxTokens: r.maxTokens)
        let messages = r.messages.map { ChatMessage(role: $0.role, content: $0.content?.text ?? "") }
        let generationRequest = try generation.request(prompt: try backend.promptTokens(for: messages), settings: settings)
        let running = try await generation.start(generationRequest, stop: settings.stop)
        let id = "chatcmpl-\(UUID().uuidString.lowercased())"
        let created = Int(Date().timeIntervalSince1970)
        let model = backend.modelID
        guard settings.stream else {
            let o = try await generation.finish(running) { _ in }
            return Self.json(ChatCompletion(
                id: id, created: created, model: model,
                choices: [ChatChoice(message: .init(content: o.text), finish_reason: o.finishReason,
                                     tokens: settings.returnTokens ? o.tokens : nil)],
                usage: Usage(o)))
        }
        return stream { send in
            func chunk(_ delta: ChatDelta, finish: String? = nil, tokens: [Int32]? = nil, usage: Usage? = nil, empty: Bool = false) -> ChatCompletionChunk {
                ChatCompletionChunk(id: id, created: created, model: model,
                                    choices: empty ? [] : [ChatChunkChoice(delta: delta, finish_reason: finish, tokens: tokens)],
                                    usage: usage)
            }
            try await send(chunk(ChatDelta(role: "assistant", content: "")))
            let o = try await generation.finish(running) { text in try await send(chunk(ChatDelta(content: text))) }
            try await send(chunk(ChatDelta(), finish: o.finishReason, tokens: settings.returnTokens ? o.tokens : nil))
            if settings.includeUsage { try await send(chunk(ChatDelta(), usage: Usage(o), empty: true)) }
        }
    }

    private func complete(_ request: Request) async throws -> Response {
        let r: CompletionRequest = try await Self.decode(request, endpoint: "/v1/completions")
        try checkModel(r.model)
        if r.echo == true { throw ServerError(.invalidValue, "echo is true: echoing the prompt is not supported", param: "echo") }
        let settings = try GenerationSettings(r, maxTokens: r.max_tokens ?? 16)  // OpenAI's default for completions
        let prompt: [Int32]
        switch r.prompt {
        case .text(let text): prompt = backend.promptTokens(for: text)
        case .tokens(let tokens):
            let vocab = backend.tokenizer.vocabSize
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw ServerError(.invalidValue, "prompt token \(bad) is not in the vocabulary (0..<\(vocab))", param: "prompt")
            }
            prompt = tokens
        }
        let generationRequest = try generation.request(prompt: prompt, settings: settings)
        let running = try await generation.start(generationRequest, stop: settings.stop)
        let id = "cmpl-\(UUID().uuidString.lowercased())"
        let created = Int(Date().timeIntervalSince1970)
        let model = backend.modelID
        guard settings.stream else {
            let o = try await generation.finish(running) { _ in }
            return Self.json(TextCompletion(
                id: id, created: created, model: model,
                choices: [TextChoice(text: o.text, finish_reason: o.finishReason, tokens: settings.returnTokens ? o.tokens : nil)],
                usage: Usage(o)))
        }
        return stream { send in
            let o = try await generation.finish(running) { text in
                try await send(TextCompletion(id: id, created: created, model: model, choices: [TextChoice(text: text)]))
            }
            try await send(TextCompletion(id: id, created: created, model: model,
                                          choices: [TextChoice(text: "", finish_reason: o.finishReason,
                                                               tokens: settings.returnTokens ? o.tokens : nil)]))
            if settings.includeUsage {
                try await send(TextCompletion(id: id, created: created, model: model, choices: [], usage: Usage(o)))
            }
        }
    }

    // MARK: Helpers

    /// A server-sent-events response: `body` sends events; `data: [DONE]` ends it. An error after the stream has
    /// started is sent as an `error` event (OpenAI's shape); a client gone away stops the generation.
    private func stream(_ body: @escaping @Sendable (_ send: (any Encodable) async throws -> Void) async throws -> Void) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let encoder = JSONEncoder.server
            do {
                try await body { event in
                    var data = Data("data: ".utf8)
                    data.append(try encoder.encode(event))
                    data.append(contentsOf: Array("\n\n".utf8))
                    try await writer.write(ByteBuffer(bytes: data))
                }
            } catch let error as ServerError {
                try await writer.write(ByteBuffer(string: "data: "))
                try await writer.write(ByteBuffer(bytes: error.body))
                try await writer.write(ByteBuffer(string: "\n\n"))
                throw StreamFailure(error: error)
            } catch {
                throw StreamFailure(error: nil)
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }

    /// Counts the request by outcome. A streamed response is counted when its stream ends.
    private func counted(_ endpoint: String, _ handler: () async throws -> Response) async throws -> Response {
        do {
            var response = try await handler()
            if response.headers[.contentType] == "text/event-stream" {
                let metrics = self.metrics
                let inner = response.body
                response.body = ResponseBody { writer in
                    do {
                        try await inner.write(writer)
                        metrics.request(endpoint: endpoint, outcome: .ok)
                    } catch let failure as StreamFailure {
                        if let error = failure.error {
                            metrics.request(endpoint: endpoint, error: error)
                            try await writer.finish(nil)
                        } else {
                            metrics.request(endpoint: endpoint, outcome: .disconnected)
                            throw failure
                        }
                    }
                }
            } else {
                metrics.request(endpoint: endpoint, outcome: .ok)
            }
            return response
        } catch let error as ServerError {
            metrics.request(endpoint: endpoint, error: error)
            throw error
        } catch {
            metrics.request(endpoint: endpoint, outcome: .error)
            throw error
        }
    }

    func serves(_ model: String) -> Bool {
        let id = backend.modelID
        return model == id || model == id + ".gguf" || URL(fileURLWithPath: model).lastPathComponent == id + ".gguf"
    }

    private func unknownModel(_ model: String) -> ServerError {
        ServerError(.modelNotFound, "model '\(model)' is not served here; this server serves '\(backend.modelID)' (GET /v1/models)", param: "model")
    }

    private func checkModel(_ model: String?) throws(ServerError) {
        if let model, !model.isEmpty, !serves(model) { throw unknownModel(model) }
    }

    static func decode<T: Decodable>(_ request: Request, endpoint: String) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBody)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw ServerError.decoding(error, endpoint: endpoint)
        }
    }

    static func json(_ value: some Encodable) -> Response {
        let data = (try? JSONEncoder.server.encode(value)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Thrown out of a streamed body: `error` was sent to the client as an event; nil when the client went away.
struct StreamFailure: Error {
    var error: ServerError?
}
