package dev.shoal.http.common;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns whatever a future failed with into the {@link ApiError} to show the client. */
public final class Failures {

    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

    private Failures() {
    }

    /** Our own errors pass through; anything else is a bug, logged here with its trace and shown as a 500. */
    public static ApiError toApiError(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException e) {
            return e.error();
        }
        LOG.error("request failed unexpectedly", t);
        return new ApiError.Internal("internal server error; the server log has the details");
    }
}
