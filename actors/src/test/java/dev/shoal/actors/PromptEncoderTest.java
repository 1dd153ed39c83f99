package dev.shoal.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shoal.actors.api.Prompt;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.chat.ChatTemplate;
import dev.shoal.tensor.chat.ChatTemplateException;
import dev.shoal.tensor.gguf.GgufFile;
import dev.shoal.tensor.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prompts to ids with stories260K's SentencePiece vocabulary (BOS 1, added by default). */
class PromptEncoderTest {

    static Tokenizer tok;

    @BeforeAll
    static void tokenizer() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"))) {
            tok = Tokenizer.fromGguf(f.metadata());
        }
    }

    static final ChatTemplate CONTENT_ONLY = ChatTemplate.of(
            "{% for m in messages %}{{ m['content'] }}{% endfor %}", "<s>", "</s>");
    static final ChatTemplate WITH_BOS = ChatTemplate.of(
            "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}", "<s>", "</s>");

    @Test
    void rawTextShouldGetBosAndNoSpecialTokenParsing() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378},
                PromptEncoder.encode(tok, CONTENT_ONLY, new Prompt.Text("Once upon a time", false, "ignored")));
        assertArrayEquals(new int[] {1}, PromptEncoder.encode(tok, CONTENT_ONLY, new Prompt.Text("", false, null)));
        int[] literal = PromptEncoder.encode(tok, CONTENT_ONLY, new Prompt.Text("<s>", false, null));
        assertEquals(1, Arrays.stream(literal).filter(id -> id == 1).count(), "'<s>' in raw text stays text");
    }

    @Test
    void templatedTextShouldGetExactlyOneBos() {
        int[] added = PromptEncoder.encode(tok, CONTENT_ONLY, new Prompt.Chat(List.of(ChatMessage.user("Once upon a time"))));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, added);
        int[] printed = PromptEncoder.encode(tok, WITH_BOS, new Prompt.Chat(List.of(ChatMessage.user("Once upon a time"))));
        assertEquals(1, printed[0]);
        assertEquals(1, Arrays.stream(printed).filter(id -> id == 1).count(), Arrays.toString(printed));
    }

    @Test
    void templatedPlainTextShouldPutTheSystemTurnFirst() {
        int[] ids = PromptEncoder.encode(tok, CONTENT_ONLY, new Prompt.Text("upon a time", true, "Once"));
        assertArrayEquals(tok.encode("Onceupon a time", true, true), ids);
    }

    @Test
    void aTemplateThatRaisesShouldSurfaceAsChatTemplateException() {
        ChatTemplate strict = ChatTemplate.of("{{ raise_exception('only user turns') }}", "<s>", "</s>");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> PromptEncoder.encode(tok, strict,
                new Prompt.Chat(List.of(ChatMessage.system("x")))));
        assertEquals("only user turns", e.getMessage());
    }
}
