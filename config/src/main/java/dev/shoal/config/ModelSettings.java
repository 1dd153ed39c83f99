package dev.shoal.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Which models the node serves and how long they stay loaded ({@code shoal.models}).
 *
 * @param dir         the models directory, {@code ~} already expanded, absolute
 * @param preload     names to load at start-up, in order
 * @param keepAlive   idle time before a model unloads; {@link Duration#ZERO} = right after each request;
 *                    negative = never (see {@link #FOREVER})
 * @param maxLoaded   the most models loaded at once (1 to 1024)
 * @param loadTimeout how long a request may wait for admission, model load included
 * @param keepFetched whether the bytes of slices fetched from other nodes stay on this node's disk (under
 *                    {@code dir/.shoal-fetched/}) for the next placement to read, instead of being fetched again
 */
public record ModelSettings(Path dir, List<String> preload, Duration keepAlive, int maxLoaded, Duration loadTimeout,
                            boolean keepFetched) {

    /** The keep-alive that never unloads an idle model (Ollama's negative {@code keep_alive}). */
    public static final Duration FOREVER = Duration.ofSeconds(-1);

    public ModelSettings {
        preload = List.copyOf(preload);
    }

    public boolean keepsForever() {
        return keepAlive.isNegative();
    }
}
