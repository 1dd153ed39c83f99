package dev.shoal.node.cli;

import dev.shoal.actors.PromptEncoder;
import dev.shoal.actors.api.Prompt;
import dev.shoal.tensor.generate.GenerationResult;
import dev.shoal.tensor.generate.Generator;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.GenerationLimits;
import dev.shoal.tensor.sample.SamplingParams;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/**
 * {@code shoal generate}: streams only the generated text to stdout and one summary line to stderr. The prompt is
 * raw text (BOS added when the model wants it) unless {@code --chat} renders it through the chat template.
 */
final class GenerateCommand {

    static final String USAGE = "shoal generate --model FILE --prompt TEXT [--max-tokens N] [--temperature T] "
            + "[--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N] [--context N] "
            + "[--stop TEXT] [--chat] [--system TEXT]";

    private GenerateCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Flags f = Flags.parse(args, USAGE, Set.of("model", "prompt", "max-tokens", "temperature", "top-k", "top-p",
                "min-p", "repeat-penalty", "seed", "threads", "context", "stop", "system"), Set.of("chat"));
        var path = f.existingFile("model");
        String prompt = f.string("prompt");
        int maxTokens = f.integer("max-tokens", 256, 1, 1 << 24);
        int threads = f.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        int context = f.integer("context", 0, 0, 1 << 24);
        SamplingParams defaults = SamplingParams.defaults();
        SamplingParams params;
        try {
            params = new SamplingParams(
                    f.number("temperature", defaults.temperature(), 0, SamplingParams.MAX_TEMPERATURE),
                    f.integer("top-k", defaults.topK(), 0, Integer.MAX_VALUE),
                    f.number("top-p", defaults.topP(), 0, 1),
                    f.number("min-p", defaults.minP(), 0, 1),
                    f.number("repeat-penalty", defaults.repetitionPenalty(), 0, 100),
                    0, 0, defaults.penaltyLastN(),
                    f.longValue("seed", System.nanoTime()));
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
        List<String> stops = f.has("stop") ? List.of(f.string("stop")) : List.of();
        try (LocalModel lm = LocalModel.open(path, threads, context)) {
            // the same encoding the HTTP APIs use: templated text parses special tokens, BOS as the model wants
            int[] ids = PromptEncoder.encode(lm.tokenizer(), lm.chatTemplate(),
                    new Prompt.Text(prompt, f.flag("chat"), f.has("system") ? f.string("system") : null));
            GenerationResult r = Generator.generate(lm, ids, params, new GenerationLimits(maxTokens, lm.context()),
                    stops, text -> {
                        out.print(text);
                        out.flush();
                        return !out.checkError();
                    });
            out.println();
            out.flush();
            err.printf("prompt tokens: %d, generated tokens: %d, prompt: %.2f tok/s, generation: %.2f tok/s "
                            + "(load %.2f s, stop: %s)%n", r.promptTokens(), r.generatedTokens(),
                    r.promptTokensPerSecond(), r.generationTokensPerSecond(), lm.loadSeconds(),
                    r.stopReason().name().toLowerCase(java.util.Locale.ROOT));
        }
        return 0;
    }
}
