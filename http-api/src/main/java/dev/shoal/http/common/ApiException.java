package dev.shoal.http.common;

/**
 * Carries an {@link ApiError} out of request parsing or a failed generation future to the code that renders it.
 * It is control flow, not a bug, so it records no stack trace.
 */
public final class ApiException extends RuntimeException {

    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public static ApiException invalid(String message, String param) {
        return new ApiException(ApiError.invalid(message, param));
    }

    public ApiError error() {
        return error;
    }
}
