import HeadwayEngine
import HeadwayGGUF
import Testing
import HeadwayTestSupport

@Suite struct TokenizerChatTemplateTests {
    static let smolSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    @Test(.enabled(if: TestModel.isEnabled))
    func smolLM2TemplateAddsItsDefaultSystemPrompt() throws {
        let template = try ChatTemplate(gguf: try TokenizerFixtures.model.get())
        #expect(template.style == .chatML)
        #expect(template.defaultSystemPrompt == Self.smolSystem)
        let prompt = template.render([.user("What is the capital of France?")])
        #expect(
            prompt == """
                <|im_start|>system
                You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
                <|im_start|>user
                What is the capital of France?<|im_end|>
                <|im_start|>assistant

                """)
        let tok = try TokenizerFixtures.tokenizer.get()
        let ids = tok.encode(prompt)
        #expect(ids.first == 1 && ids.filter { $0 == 1 }.count == 3 && ids.filter { $0 == 2 }.count == 2)
        #expect(tok.decode(ids, renderSpecial: true) == prompt)
    }

    @Test(.enabled(if: TestModel.isEnabled))
    func givenSystemPromptReplacesTheDefault() throws {
        let template = try ChatTemplate(gguf: try TokenizerFixtures.model.get())
        let prompt = template.render(
            [.system("Be brief."), .user("Hi"), .assistant("Hello!"), .user("Bye")],
            addGenerationPrompt: false)
        #expect(
            prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n")
        #expect(template.render([]) == "<|im_start|>assistant\n")
    }

    @Test func plainChatMLTemplateHasNoDefaultSystemPrompt() throws {
        let chatML =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        let t = try ChatTemplate(template: chatML)
        #expect(t.defaultSystemPrompt == nil)
        #expect(t.render([.user("Hi")]) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let escaped =
            "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou\\'re helpful.<|im_end|>\\n' }}{% endif %}"
            + chatML
        #expect(try ChatTemplate(template: escaped).defaultSystemPrompt == "You're helpful.")
    }

    @Test func unknownTemplateIsAnError() {
        let llama3 =
            "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>{% endfor %}"
        do {
            _ = try ChatTemplate(template: llama3, source: "llama3.gguf")
            Issue.record("expected unsupported")
        } catch let e as GGUFError {
            #expect(e.code == .unsupported && e.message.contains("llama3.gguf") && e.message.contains("ChatML"), "\(e)")
            #expect(e.message.contains("{{ bos_token }}"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func missingTemplateNamesTheKey() throws {
        let file = try GGUFFile(bytes: TinyVocab.make().serialize(), name: "tiny.gguf")
        do {
            _ = try ChatTemplate(gguf: file)
            Issue.record("expected missingKey")
        } catch let e as GGUFError {
            #expect(
                e.code == .missingKey && e.message.contains("tokenizer.chat_template")
                    && e.message.contains("tiny.gguf"))
        }
    }
}
