package dev.shoal.tensor.tokenizer;

import dev.shoal.tensor.gguf.GgufMetadata;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The body of {@code shoal tokenize}: the ids of a text as llama.cpp's tokenizer tests produce them (no BOS,
 * special-token texts not parsed), space-separated. The llama.cpp suite test goes through this same method.
 */
public final class TokenizeCommand {

    /** Tokenizers by metadata identity, so tokenizing many strings against one file builds the tables once. */
    private static final Map<GgufMetadata, Tokenizer> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private TokenizeCommand() {
    }

    public static String tokenize(GgufMetadata md, String text) {
        Tokenizer tokenizer = CACHE.computeIfAbsent(md, Tokenizer::fromGguf);
        return IntStream.of(tokenizer.encode(text)).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
