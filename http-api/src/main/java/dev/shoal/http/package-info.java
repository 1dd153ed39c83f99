/**
 * The node's HTTP surface on Pekko HTTP: OpenAI ({@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/models}), Anthropic ({@code /v1/messages}) and Ollama ({@code /api/*}) APIs, plus
 * {@code /health}, {@code /ready} and {@code /metrics}.
 *
 * <p>Each API lives in its own package with the same parts: {@code *Requests} (strict parsing into records),
 * {@code *Responses} (bodies), {@code *Stream} (the streaming encoding), {@code *Errors} (the error shape) and
 * {@code *Routes}. What they share is in {@code common}: errors as one sealed {@code ApiError}, the bridge from
 * listener callbacks to a Pekko Streams source, and the framing of SSE and NDJSON.
 *
 * <p>The engine is reached only through {@link dev.shoal.actors.api.InferenceService}. The status of a
 * streamed answer is chosen when the service admits or refuses the request; later failures travel in-band as
 * the API's error event, since the headers are gone by then.
 */
package dev.shoal.http;
