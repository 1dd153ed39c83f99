package dev.shoal.actors;

import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;

/**
 * Checks of a job's own fields that need no model. Sampling ranges are already enforced by
 * {@link dev.shoal.tensor.sample.SamplingParams}' constructor; a null sampling means the defaults.
 */
public final class JobValidation {

    private JobValidation() {
    }

    /** The first problem as an {@link ServiceError.InvalidRequest}, or null when the job is fine. */
    public static ServiceError check(GenerationJob job) {
        if (job == null || job.prompt() == null) {
            return new ServiceError.InvalidRequest("a prompt or messages are required", "prompt");
        }
        if (job.maxTokens() < 0) {
            return new ServiceError.InvalidRequest("max_tokens must be >= 0 (0 = until the context is full), got "
                    + job.maxTokens(), "max_tokens");
        }
        if (job.stop() != null) {
            for (String s : job.stop()) {
                if (s == null || s.isEmpty()) {
                    return new ServiceError.InvalidRequest("stop strings must be non-empty", "stop");
                }
            }
        }
        return check(job.prompt());
    }

    private static ServiceError check(Prompt prompt) {
        return switch (prompt) {
            case Prompt.Chat c -> c.messages() == null || c.messages().isEmpty()
                    ? new ServiceError.InvalidRequest("messages must not be empty", "messages") : null;
            case Prompt.Text t -> t.text() == null
                    ? new ServiceError.InvalidRequest("prompt text must not be null", "prompt") : null;
            case Prompt.Continuation c -> c.original() == null || c.generated() == null
                    ? new ServiceError.InvalidRequest("a continuation needs its prompt and tokens", "prompt")
                    : check(c.original());
        };
    }
}
