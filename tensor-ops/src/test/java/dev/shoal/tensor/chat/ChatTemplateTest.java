package dev.shoal.tensor.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.gguf.GgufMetadata;
import dev.shoal.tensor.gguf.GgufValueType;
import dev.shoal.tensor.gguf.MetadataValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

    /** Meta-Llama-3-8B-Instruct's tokenizer_config.json chat_template. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim"
            + " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** Llama-2-chat's template: optional <<SYS>> block folded into the first user turn, strict alternation. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
            + "{% endfor %}";

    /** A template that refuses roles it does not know. */
    static final String STRICT_ROLES = "{% for message in messages %}"
            + "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
            + "{{ raise_exception('Unknown role: ' + message['role']) }}{% endif %}"
            + "{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}";

    static final List<ChatMessage> WITH_SYSTEM = List.of(
            ChatMessage.system("You are terse."), ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello!"), ChatMessage.user("Bye"));

    private static GgufMetadata metadata(String relative) throws Exception {
        Path p = SharedModels.require(relative);
        try (GgufFile f = GgufFile.open(p)) {
            return f.metadata();
        }
    }

    private static GgufMetadata without(GgufMetadata md, String key) {
        Map<String, MetadataValue> m = new LinkedHashMap<>(md.entries());
        m.remove(key);
        return new GgufMetadata("copy", m);
    }

    @Test
    void qwenChatMlTemplateFromTheGguf() throws Exception {
        ChatTemplate t = ChatTemplate.fromGguf(metadata("llama.cpp-vocab/ggml-vocab-qwen2.gguf"));
        assertEquals(Optional.empty(), t.builtin());
        assertTrue(t.source().startsWith("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"),
                t.source());
        assertEquals("<|endoftext|>", t.bosToken());
        assertEquals("<|endoftext|>", t.eosToken());

        // no system message: the template supplies its default one
        assertEquals("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
                + "<|im_start|>user\nHello<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(List.of(ChatMessage.user("Hello")), true));

        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n", t.render(WITH_SYSTEM, false));
    }

    @Test
    void llama3TemplateTrimsContentAndPrefixesBosOnce() {
        ChatTemplate t = ChatTemplate.of(LLAMA3, "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals("<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(List.of(ChatMessage.system("  You are terse.\n"), ChatMessage.user("Hi there\n\n")), true));
    }

    @Test
    void llama2TemplateFoldsTheSystemMessageIntoTheFirstTurn() {
        ChatTemplate t = ChatTemplate.of(LLAMA2, "<s>", "</s>");
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]",
                t.render(WITH_SYSTEM, true));
        assertEquals("<s>[INST] Hi [/INST]", t.render(List.of(ChatMessage.user("  Hi ")), true));
    }

    @Test
    void raiseExceptionBecomesAChatTemplateExceptionWithTheTemplatesMessage() {
        ChatTemplate llama2 = ChatTemplate.of(LLAMA2, "<s>", "</s>");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> llama2.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
        assertTrue(e.raisedByTemplate());

        ChatTemplate strict = ChatTemplate.of(STRICT_ROLES, "", "");
        assertEquals("user: hi\nassistant: yo\n",
                strict.render(List.of(ChatMessage.user("hi"), ChatMessage.assistant("yo")), false));
        ChatTemplateException bad = assertThrows(ChatTemplateException.class,
                () -> strict.render(List.of(ChatMessage.user("hi"), new ChatMessage("tool", "42")), false));
        assertEquals("Unknown role: tool", bad.getMessage());
        assertTrue(bad.raisedByTemplate());
        // the template is still usable afterwards
        assertEquals("user: again\n", strict.render(List.of(ChatMessage.user("again")), false));
    }

    @Test
    void hfIdiomsNamespaceLoopVariablesStripAndTrim() {
        String src = "{% set ns = namespace(system='', n=0) %}"
                + "{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content.strip() %}"
                + "{% else %}{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}"
                + "[{{ ns.system }}|{{ ns.n }}]"
                + "{% for m in messages %}{{ loop.index0 }}{% if loop.first %}<first>{% endif %}"
                + "{{ m['content'] | trim }}{% if loop.last %}<last>{% endif %};{% endfor %}"
                + "{% if add_generation_prompt %}{{ bos_token ~ eos_token }}{% endif %}";
        ChatTemplate t = ChatTemplate.of(src, "B", "E");
        assertEquals("[sys|2]0<first>sys;1a;2b<last>;BE", t.render(List.of(
                ChatMessage.system("  sys \n"), ChatMessage.user(" a"), ChatMessage.assistant("b\t")), true));
        assertEquals("[|1]0<first>x<last>;", t.render(List.of(ChatMessage.user("x")), false));
    }

    @Test
    void blocksAreTrimmedAndLeftStrippedLikeHuggingFace() {
        String src = """
                {% for message in messages %}
                    {% if message.role == 'user' %}
                U:{{ message.content }}
                    {% endif %}
                {% endfor %}
                """;
        ChatTemplate t = ChatTemplate.of(src, "", "");
        assertEquals("U:Hi\nU:Bye\n", t.render(WITH_SYSTEM, false));
    }

    @Test
    void brokenTemplatesFailWithAChatTemplateException() {
        ChatTemplateException parse = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{% for m in messages %}{{ m.content }}", "", ""));
        assertTrue(parse.getMessage().startsWith("chat template does not parse: "), parse.getMessage());
        assertTrue(parse.getMessage().contains("endfor"), parse.getMessage());
        assertFalse(parse.raisedByTemplate());

        ChatTemplate unknownFunction = ChatTemplate.of("{{ strftime_now('%Y') }}", "", "");
        ChatTemplateException fn = assertThrows(ChatTemplateException.class,
                () -> unknownFunction.render(List.of(ChatMessage.user("x")), true));
        assertTrue(fn.getMessage().contains("strftime_now"), fn.getMessage());
        assertFalse(fn.raisedByTemplate());

        ChatTemplate badExpression = ChatTemplate.of("{{ foo( }}", "", "");
        assertThrows(ChatTemplateException.class, () -> badExpression.render(List.of(), true));
    }

    @Test
    void fallbackChatMlWhenTheVocabularyHasImStart() throws Exception {
        GgufMetadata qwen = without(metadata("llama.cpp-vocab/ggml-vocab-qwen2.gguf"), ChatTemplate.TEMPLATE_KEY);
        ChatTemplate t = ChatTemplate.fromGguf(qwen);
        assertEquals(Optional.of(BuiltinChatTemplate.CHATML), t.builtin());
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(WITH_SYSTEM, true));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n", t.render(List.of(ChatMessage.user("Hi")), false));
    }

    @Test
    void fallbackLlama3WhenTheVocabularyHasHeaderTokens() throws Exception {
        ChatTemplate t = ChatTemplate.fromGguf(metadata("llama.cpp-vocab/ggml-vocab-llama-bpe.gguf"));
        assertEquals(Optional.of(BuiltinChatTemplate.LLAMA3), t.builtin());
        assertEquals("<|begin_of_text|>", t.bosToken());
        assertEquals("<|end_of_text|>", t.eosToken());
        assertEquals("<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render(WITH_SYSTEM, true));
        // the built-in equals Meta's template
        assertEquals(ChatTemplate.of(LLAMA3, "<|begin_of_text|>", "").render(WITH_SYSTEM, true),
                t.render(WITH_SYSTEM, true));
    }

    @Test
    void fallbackTranscriptOtherwise() throws Exception {
        ChatTemplate t = ChatTemplate.fromGguf(metadata("stories260K.gguf"));
        assertEquals(Optional.of(BuiltinChatTemplate.TRANSCRIPT), t.builtin());
        assertEquals("<s>", t.bosToken());
        assertEquals("</s>", t.eosToken());
        List<ChatMessage> msgs = List.of(ChatMessage.system(" Be brief. "), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello!\n"), new ChatMessage("tool", "42"), ChatMessage.user("Bye"));
        assertEquals("System: Be brief.\nUser: Hi\nAssistant: Hello!\nTool: 42\nUser: Bye\nAssistant:",
                t.render(msgs, true));
        assertEquals("User: Hi\n", t.render(List.of(ChatMessage.user("Hi")), false));
        assertEquals(List.of("\nUser:"), BuiltinChatTemplate.TRANSCRIPT.stopStrings());
    }

    @Test
    void fallbackChoiceAndTokenTextsFromSyntheticMetadata() {
        Map<String, MetadataValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.tokens", MetadataValue.array(GgufValueType.STRING,
                new String[] {"<unk>", "<|start_header_id|>", "<|im_start|>", "x"}));
        m.put("tokenizer.ggml.bos_token_id", MetadataValue.uint32(3));
        m.put("tokenizer.ggml.eos_token_id", MetadataValue.uint32(4_294_967_295L)); // -1 as u32: out of range
        ChatTemplate t = ChatTemplate.fromGguf(new GgufMetadata("synthetic", m));
        assertEquals(Optional.of(BuiltinChatTemplate.CHATML), t.builtin()); // ChatML is preferred when both appear
        assertEquals("x", t.bosToken());
        assertEquals("", t.eosToken());

        m.put(ChatTemplate.TEMPLATE_KEY, MetadataValue.string("   "));
        m.put("tokenizer.ggml.tokens", MetadataValue.array(GgufValueType.STRING, new String[] {"<|start_header_id|>"}));
        assertEquals(Optional.of(BuiltinChatTemplate.LLAMA3), ChatTemplate.fromGguf(new GgufMetadata("s", m)).builtin());

        ChatTemplate empty = ChatTemplate.fromGguf(new GgufMetadata("none", Map.of()));
        assertEquals(Optional.of(BuiltinChatTemplate.TRANSCRIPT), empty.builtin());
        assertEquals("", empty.bosToken());
    }

    @Test
    void messagesAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(" ", "x"));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("user", null));
    }

    @Test
    void oneTemplateRendersConcurrentlyAndQuickly() throws Exception {
        ChatTemplate t = ChatTemplate.of(LLAMA2, "<s>", "</s>");
        String expected = t.render(WITH_SYSTEM, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    for (int j = 0; j < 300; j++) {
                        if (!expected.equals(t.render(WITH_SYSTEM, true))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        long start = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            t.render(WITH_SYSTEM, true);
        }
        double msPerRender = (System.nanoTime() - start) / 1e6 / 1000;
        // tens of microseconds when warm; the bound only catches a per-render re-parse or engine rebuild
        assertTrue(msPerRender < 2, msPerRender + " ms per render");
    }
}
