import Foundation
import HeadwayEngine

/// A string, or an array of strings (`stop`).
enum StringOrList: Decodable, Sendable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .one(s); return }
        self = .many(try c.decode([String].self))
    }

    var values: [String] {
        switch self {
        case .one(let s): [s]
        case .many(let a): a
        }
    }
}

/// Message content: a string, or an array of parts of which the `text` ones are joined.
struct MessageContent: Decodable, Sendable {
    var text: String

    struct Part: Decodable { var type: String; var text: String? }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { text = ""; return }
        if let s = try? c.decode(String.self) { text = s; return }
        let parts = try c.decode([Part].self)
        for p in parts where p.type != "text" {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "content part of type '\(p.type)' is not supported (text only)")
        }
        text = parts.compactMap(\.text).joined()
    }
}

struct StreamOptions: Decodable, Sendable {
    var include_usage: Bool?
}

/// The fields both endpoints share.
protocol SamplingFields {
    var model: String? { get }
    var max_tokens: Int? { get }
    var temperature: Double? { get }
    var top_p: Double? { get }
    var top_k: Int? { get }
    var seed: Int64? { get }
    var stop: StringOrList? { get }
    var stream: Bool? { get }
    var stream_options: StreamOptions? { get }
    var n: Int? { get }
    var return_tokens: Bool? { get }
    var ignore_eos: Bool? { get }
}

/// `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable, Sendable, SamplingFields {
    struct Message: Decodable, Sendable {
        var role: String
        var content: MessageContent?
    }

    var model: String?
    var messages: [Message]
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var temperature: Double?
    var top_p: Double?
    var top_k: Int?
    var seed: Int64?
    var stop: StringOrList?
    var stream: Bool?
    var stream_options: StreamOptions?
    var n: Int?
    /// Not OpenAI's: also return the generated token ids (`choices[0].tokens`).
    var return_tokens: Bool?
    /// Not OpenAI's (llama-server's): do not stop at the end-of-generation token.
    var ignore_eos: Bool?

    var maxTokens: Int? { max_completion_tokens ?? max_tokens }
}

/// `POST /v1/completions`.
struct CompletionRequest: Decodable, Sendable, SamplingFields {
    enum Prompt: Decodable, Sendable {
        case text(String)
        case tokens([Int32])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s); return }
            if let t = try? c.decode([Int32].self) { self = .tokens(t); return }
            if let a = try? c.decode([String].self), a.count == 1 { self = .text(a[0]); return }
            if let a = try? c.decode([[Int32]].self), a.count == 1 { self = .tokens(a[0]); return }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a string, an array of token ids, or a one-element array of either (one prompt per request)")
        }
    }

    var model: String?
    var prompt: Prompt
    var max_tokens: Int?
    var temperature: Double?
    var top_p: Double?
    var top_k: Int?
    var seed: Int64?
    var stop: StringOrList?
    var stream: Bool?
    var stream_options: StreamOptions?
    var n: Int?
    var echo: Bool?
    var return_tokens: Bool?
    var ignore_eos: Bool?
}

/// Validated generation settings of one request.
struct GenerationSettings: Sendable {
    var maxTokens: Int?
    var sampling: SamplingParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool
    var returnTokens: Bool
    var ignoreEOS: Bool

    /// Defaults where the request is silent are llama-server's: temperature 0.8, top-k 40, top-p 0.95, a random
    /// seed, no token limit but the context.
    init(_ r: some SamplingFields, maxTokens: Int?) throws(ServerError) {
        if let n = r.n, n != 1 { throw ServerError(.invalidValue, "n is \(n): this server returns one choice per request (n = 1)", param: "n") }
        if let m = maxTokens, m < 1 { throw ServerError(.invalidValue, "max_tokens is \(m): it must be at least 1", param: "max_tokens") }
        let temperature = r.temperature ?? 0.8
        guard temperature >= 0, temperature <= 2, temperature.isFinite else {
            throw ServerError(.invalidValue, "temperature is \(temperature): it must be in [0, 2]", param: "temperature")
        }
        let topP = r.top_p ?? 0.95
        guard topP > 0, topP <= 1 else { throw ServerError(.invalidValue, "top_p is \(topP): it must be in (0, 1]", param: "top_p") }
        let topK = r.top_k ?? 40
        guard topK >= 0 else { throw ServerError(.invalidValue, "top_k is \(topK): it must be ≥ 0 (0 = no limit)", param: "top_k") }
        let stops = (r.stop?.values ?? []).filter { !$0.isEmpty }
        let seed = r.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        self.maxTokens = maxTokens
        sampling = SamplingParameters(temperature: Float(temperature), topK: topK, topP: Float(topP), seed: seed)
        stop = stops
        stream = r.stream ?? false
        includeUsage = r.stream_options?.include_usage ?? false
        returnTokens = r.return_tokens ?? false
        ignoreEOS = r.ignore_eos ?? false
    }
}

extension ServerError {
    /// A decoding failure as a 400 naming the field.
    static func decoding(_ error: any Error, endpoint: String) -> ServerError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for k in keys {
                if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return out.isEmpty ? "the body" : "'\(out)'"
        }
        guard let e = error as? DecodingError else {
            return ServerError(.invalidJSON, "\(endpoint): the body is not valid JSON: \(error)")
        }
        switch e {
        case .dataCorrupted(let c) where c.codingPath.isEmpty:
            return ServerError(.invalidJSON, "\(endpoint): the body is not valid JSON (\(c.underlyingError.map { "\($0)" } ?? c.debugDescription))")
        case .dataCorrupted(let c):
            return ServerError(.invalidJSON, "\(endpoint): \(path(c.codingPath)): \(c.debugDescription)", param: path(c.codingPath))
        case .keyNotFound(let key, let c):
            let p = path(c.codingPath + [key])
            return ServerError(.invalidJSON, "\(endpoint): required field \(p) is missing", param: p)
        case .typeMismatch(let type, let c), .valueNotFound(let type, let c):
            return ServerError(.invalidJSON, "\(endpoint): \(path(c.codingPath)) must be \(Self.jsonName(type))", param: path(c.codingPath))
        @unknown default:
            return ServerError(.invalidJSON, "\(endpoint): \(e)")
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
