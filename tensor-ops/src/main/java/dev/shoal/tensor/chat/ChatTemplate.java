package dev.shoal.tensor.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import dev.shoal.tensor.gguf.GgufMetadata;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A model's chat template (Hugging Face Jinja, as stored in GGUF {@code tokenizer.chat_template}) turned into a
 * renderer of conversations into prompt text.
 *
 * <p>Rendering follows what Hugging Face's {@code apply_chat_template} gives the template: {@code messages} (a
 * list of {@code {role, content}} maps), {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
 * a {@code raise_exception(message)} function, and Jinja's {@code trim_blocks} + {@code lstrip_blocks}. The
 * output may contain special-token text such as {@code <|im_start|>} or the BOS text, so it must be tokenized
 * with special tokens parsed, and without adding a second BOS when the text already starts with it.
 *
 * <p>Jinjava (2.8.4) notes: Java {@code String} methods are what templates can call, so {@code .strip()} and
 * {@code .split()} work, while Python-only ones ({@code .startswith}, {@code .lstrip}, {@code .upper}) are
 * errors; filters ({@code | trim}, {@code | upper}) and {@code namespace()} work. A failing
 * {@code raise_exception} only shows up as a FATAL entry in the interpreter's errors (the output is still
 * produced), so every render checks them.
 *
 * <p>The template is parsed once, here, and the tree is reused by every render (each render gets its own
 * interpreter and context), so instances are safe to share between threads.
 */
public final class ChatTemplate {

    public static final String TEMPLATE_KEY = "tokenizer.chat_template";

    // Hugging Face renders chat templates with trim_blocks and lstrip_blocks on; so do llama.cpp and vLLM.
    private static final JinjavaConfig CONFIG = JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .build();
    private static final Method RAISE;

    static {
        try {
            RAISE = ChatTemplate.class.getDeclaredMethod("raiseException", Object.class);
            RAISE.setAccessible(true); // the template engine invokes it reflectively from its own package
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String source;
    private final BuiltinChatTemplate builtin;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;
    private final Node root;

    private ChatTemplate(String source, BuiltinChatTemplate builtin, String bosToken, String eosToken) {
        this.source = Objects.requireNonNull(source, "source");
        this.builtin = builtin;
        this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
        this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
        this.jinjava = new Jinjava(CONFIG);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", RAISE));
        JinjavaInterpreter parser = jinjava.newInterpreter();
        try (var current = JinjavaInterpreter.closeablePushCurrent(parser).get()) {
            this.root = parser.parse(source);
        }
        for (TemplateError e : parser.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template does not parse: " + e.getMessage()
                        + " (line " + e.getLineno() + ")", false, e.getException());
            }
        }
    }

    /** A template from its Jinja source, with the text of the BOS and EOS tokens it may print. */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, null, bosToken, eosToken);
    }

    public static ChatTemplate builtin(BuiltinChatTemplate template, String bosToken, String eosToken) {
        return new ChatTemplate(template.source(), template, bosToken, eosToken);
    }

    /**
     * The model's template, or a built-in one when it has none: ChatML if the vocabulary has
     * {@code <|im_start|>}, Llama-3 if it has {@code <|start_header_id|>}, else the plain transcript.
     * {@code bos_token}/{@code eos_token} are the texts of {@code tokenizer.ggml.bos_token_id} /
     * {@code eos_token_id} in {@code tokenizer.ggml.tokens} ("" when absent or out of range). Named variants
     * ({@code tokenizer.chat_template.NAME}, e.g. tool use) are not consulted.
     */
    public static ChatTemplate fromGguf(GgufMetadata md) {
        String[] tokens = md.optStrings("tokenizer.ggml.tokens").orElse(new String[0]);
        String bos = tokenText(tokens, md.optInteger("tokenizer.ggml.bos_token_id"));
        String eos = tokenText(tokens, md.optInteger("tokenizer.ggml.eos_token_id"));
        Optional<String> own = md.optString(TEMPLATE_KEY).filter(s -> !s.isBlank());
        if (own.isPresent()) {
            return of(own.get(), bos, eos);
        }
        return builtin(fallbackFor(tokens), bos, eos);
    }

    /** The built-in format that fits a vocabulary without a template of its own. */
    public static BuiltinChatTemplate fallbackFor(String[] tokens) {
        boolean chatml = false;
        boolean llama3 = false;
        for (String t : tokens) {
            chatml |= "<|im_start|>".equals(t);
            llama3 |= "<|start_header_id|>".equals(t);
        }
        return chatml ? BuiltinChatTemplate.CHATML : llama3 ? BuiltinChatTemplate.LLAMA3 : BuiltinChatTemplate.TRANSCRIPT;
    }

    private static String tokenText(String[] tokens, OptionalLong id) {
        if (id.isEmpty() || id.getAsLong() < 0 || id.getAsLong() >= tokens.length) {
            return "";
        }
        return tokens[(int) id.getAsLong()];
    }

    public String source() {
        return source;
    }

    /** Which built-in format this is, or empty when the template came from the model. */
    public Optional<BuiltinChatTemplate> builtin() {
        return Optional.ofNullable(builtin);
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /**
     * The prompt text for {@code messages}; with {@code addGenerationPrompt} it ends with the opening of an
     * assistant turn, for the model to continue.
     *
     * @throws ChatTemplateException when the template raises (bad roles, wrong order) or fails
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            msgs.add(Map.of("role", m.role(), "content", m.content()));
        }
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        Context context = interpreter.getContext();
        context.put("messages", msgs);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        String out;
        try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
            out = interpreter.render(root, true);
        } catch (RuntimeException e) {
            throw failure(e.getMessage(), 0, e);
        }
        for (TemplateError e : interpreter.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw failure(e.getMessage(), e.getLineno(), e.getException());
            }
        }
        return out;
    }

    private static ChatTemplateException failure(String message, int line, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof RaisedByTemplate raised) {
                return new ChatTemplateException(raised.getMessage(), true, cause);
            }
        }
        return new ChatTemplateException("chat template failed: " + message + (line > 0 ? " (line " + line + ")" : ""),
                false, cause);
    }

    /** {@code raise_exception(message)} as HF templates call it; Jinjava wraps what it throws. */
    @SuppressWarnings("unused") // called reflectively by the template engine
    private static Object raiseException(Object message) {
        throw new RaisedByTemplate(String.valueOf(message));
    }

    private static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message, null, false, false);
        }
    }
}
