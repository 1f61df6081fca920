import HeadwayGGUF

/// One turn of a conversation.
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// Renders a conversation into the prompt format the model was tuned on, from the Jinja template in
/// `tokenizer.chat_template`.
///
/// Only ChatML templates (`<|im_start|>role\ncontent<|im_end|>\n`, as SmolLM2 and Qwen use) are recognised; there is no
/// Jinja interpreter. A default system prompt written into the template as
/// `'<|im_start|>system\n…<|im_end|>\n'` is reproduced: it is prepended when the first message is not a system message
/// (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
public struct ChatTemplate: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
        case chatML
    }

    public let style: Style
    /// The template's own system prompt, used when the conversation does not start with one.
    public let defaultSystemPrompt: String?
    /// The template text as found in the file.
    public let source: String

    /// Reads and recognises `tokenizer.chat_template`.
    /// - Throws: `GGUFError` `.missingKey` when the file has no template, `.unsupported` when it is not ChatML.
    public init(gguf file: GGUFFile) throws {
        try self.init(template: file.requiredString(GGUFKey.chatTemplate), source: file.name)
    }

    /// Recognises a template text. `source` names where it came from, for errors.
    public init(template: String, source: String = "chat template") throws {
        guard template.contains("<|im_start|>"), template.contains("<|im_end|>") else {
            let head = String(template.prefix(80)).replacing("\n", with: "\\n")
            throw GGUFError(
                .unsupported,
                "\(source): \(GGUFKey.chatTemplate) is not a ChatML template (starts \"\(head)\"); only ChatML (<|im_start|>…<|im_end|>) is supported"
            )
        }
        self.style = .chatML
        self.source = template
        self.defaultSystemPrompt = Self.embeddedSystemPrompt(in: template)
    }

    /// The prompt for `messages`; with `addGenerationPrompt` it ends with the opening of the assistant's turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        if let first = messages.first, first.role != "system", let defaultSystemPrompt {
            out += "<|im_start|>system\n\(defaultSystemPrompt)<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// The text between `<|im_start|>system` + newline (real or escaped `\n`) and `<|im_end|>`, when it is plain text
    /// inside one string literal (no quotes or Jinja expressions in between).
    private static func embeddedSystemPrompt(in template: String) -> String? {
        for opener in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            guard let start = template.firstRange(of: opener),
                let end = template[start.upperBound...].firstRange(of: "<|im_end|>")
            else { continue }
            let raw = String(template[start.upperBound..<end.lowerBound])
            let unescaped = raw.replacing("\\n", with: "\n").replacing("\\'", with: "'").replacing("\\\"", with: "\"")
            let bare = raw.replacing("\\'", with: "").replacing("\\\"", with: "")
            guard !bare.contains("'"), !bare.contains("\""), !bare.contains("{") else { continue }
            return unescaped.isEmpty ? nil : unescaped
        }
        return nil
    }
}
