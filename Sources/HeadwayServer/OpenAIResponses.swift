import Foundation

/// Response bodies of the OpenAI endpoints (field names as OpenAI spells them).
struct Usage: Encodable, Sendable {
    var prompt_tokens: Int
    var completion_tokens: Int
    var total_tokens: Int

    init(_ o: TextGeneration.Outcome) {
        prompt_tokens = o.promptTokens
        completion_tokens = o.tokens.count
        total_tokens = o.promptTokens + o.tokens.count
    }
}

struct AssistantMessage: Encodable, Sendable {
    var role = "assistant"
    var content: String
}

struct ChatChoice: Encodable, Sendable {
    var index = 0
    var message: AssistantMessage
    var finish_reason: String
    var tokens: [Int32]?
}

struct ChatCompletion: Encodable, Sendable {
    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [ChatChoice]
    var usage: Usage
}

struct ChatDelta: Encodable, Sendable {
    var role: String?
    var content: String?
}

struct ChatChunkChoice: Encodable, Sendable {
    var index = 0
    var delta: ChatDelta
    var finish_reason: String?
    var tokens: [Int32]?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encode(finish_reason, forKey: .finish_reason)  // null until the last chunk, as OpenAI sends
        try c.encodeIfPresent(tokens, forKey: .tokens)
    }
    enum CodingKeys: String, CodingKey { case index, delta, finish_reason, tokens }
}

struct ChatCompletionChunk: Encodable, Sendable {
    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [ChatChunkChoice]
    var usage: Usage?
}

struct TextChoice: Encodable, Sendable {
    var index = 0
    var text: String
    var finish_reason: String?
    var tokens: [Int32]?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(text, forKey: .text)
        try c.encodeNil(forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
        try c.encodeIfPresent(tokens, forKey: .tokens)
    }
    enum CodingKeys: String, CodingKey { case index, text, logprobs, finish_reason, tokens }
}

struct TextCompletion: Encodable, Sendable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [TextChoice]
    var usage: Usage?
}

struct ModelList: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        var id: String
        var object = "model"
        var created: Int
        var owned_by = "headway"
        var context_length: Int
    }
    var object = "list"
    var data: [Model]
}
