package dev.shoal.tensor.chat;

import java.util.List;

/**
 * The templates used when a model ships none ({@code tokenizer.chat_template} absent), chosen by what its
 * vocabulary contains. Each is a Jinja template rendered like a model's own, so both paths behave alike.
 *
 * <p>Exact output for [system "S", user "U", assistant "A"] plus the generation prompt:
 * <ul>
 *   <li>{@link #CHATML}: {@code <|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n<|im_start|>assistant\n}
 *       (no default system prompt is invented).</li>
 *   <li>{@link #LLAMA3}: Meta's Llama-3-Instruct template: {@code bos_token} once, then per message
 *       {@code <|start_header_id|>ROLE<|end_header_id|>\n\n} + trimmed content + {@code <|eot_id|>}; the prompt is
 *       {@code <|start_header_id|>assistant<|end_header_id|>\n\n}.</li>
 *   <li>{@link #TRANSCRIPT}: one line per message, {@code Role: content} with the role's first letter
 *       upper-cased and the content trimmed, each line ended by {@code \n}; the prompt is {@code Assistant:}
 *       with no trailing space (the model's first piece usually brings the space). Example:
 *       {@code System: S\nUser: U\nAssistant: A\nAssistant:}</li>
 * </ul>
 */
public enum BuiltinChatTemplate {

    CHATML("{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
            List.of("<|im_end|>")),

    LLAMA3("{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + " + message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
            + "{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
            List.of("<|eot_id|>")),

    TRANSCRIPT("{% for message in messages %}"
            + "{{ message['role'][:1] | upper }}{{ message['role'][1:] }}: {{ message['content'] | trim }}{{ '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}",
            List.of("\nUser:"));

    private final String source;
    private final List<String> stopStrings;

    BuiltinChatTemplate(String source, List<String> stopStrings) {
        this.source = source;
        this.stopStrings = stopStrings;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /**
     * Text that ends an assistant turn in this format. Worth adding as stop strings when the model's EOS token is
     * not that marker (base models), since nothing else would end the turn.
     */
    public List<String> stopStrings() {
        return stopStrings;
    }
}
