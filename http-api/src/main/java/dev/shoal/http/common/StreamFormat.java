package dev.shoal.http.common;

import java.util.List;
import org.apache.pekko.util.ByteString;

/** One API's stream encoding for one response: what opens the stream and what each later event becomes. */
public interface StreamFormat {

    /** Sent as soon as the generation is admitted (OpenAI's role chunk, Anthropic's message_start...). */
    List<ByteString> start();

    /** The frames for one event; after Done or Failed the stream ends. */
    List<ByteString> on(GenerationEvent event);
}
