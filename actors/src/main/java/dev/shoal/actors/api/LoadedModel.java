package dev.shoal.actors.api;

import java.time.Instant;

/** A model resident on this node: its weights' bytes, the KV memory reserved, and when it unloads if idle. */
public record LoadedModel(ModelEntry model, long residentBytes, Instant expiresAt, int activeSequences,
                          int queuedRequests) {
}
