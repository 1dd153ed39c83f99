package dev.shoal.http.common;

import java.util.Set;

/**
 * Which API family a path belongs to: decides the error body shape for rejections and exceptions, and labels
 * the request metrics. Paths outside the three APIs are the node's own ({@code /health}, {@code /metrics},
 * {@code /cluster/...}) and get OpenAI-shaped errors, the most widely parsed shape.
 */
public enum Api {
    OPENAI("openai"),
    ANTHROPIC("anthropic"),
    OLLAMA("ollama"),
    NODE("node");

    // Known endpoints, so the metric's endpoint label stays bounded whatever paths clients probe.
    private static final Set<String> ENDPOINTS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/models",
            "/v1/messages", "/api/generate", "/api/chat", "/api/tags", "/api/show", "/api/ps", "/api/version",
            "/health", "/ready", "/metrics", "/", "/cluster/state", "/cluster/placement/preview");

    private final String label;

    Api(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Api of(String path) {
        if (path.equals("/v1/messages") || path.startsWith("/v1/messages/")) {
            return ANTHROPIC;
        }
        if (path.startsWith("/v1/")) {
            return OPENAI;
        }
        if (path.startsWith("/api/")) {
            return OLLAMA;
        }
        return NODE;
    }

    /** The endpoint label for metrics: the route's path, or "other" for paths no route serves. */
    public static String endpoint(String path) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (ENDPOINTS.contains(p)) {
            return p;
        }
        return p.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
    }
}
