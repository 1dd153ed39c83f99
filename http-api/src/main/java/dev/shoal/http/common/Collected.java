package dev.shoal.http.common;

import dev.shoal.actors.api.Completion;

/** A whole non-streamed generation: its text and how it ended. */
public record Collected(String text, Completion completion) {
}
