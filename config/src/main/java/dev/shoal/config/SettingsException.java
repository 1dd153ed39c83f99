package dev.shoal.config;

/**
 * A setting that cannot be used. The message is one line naming the key, the value found and what is allowed,
 * e.g. {@code shoal.http.port = 70000: must be an integer between 0 and 65535}, so start-up can print it as is.
 */
public final class SettingsException extends RuntimeException {

    public SettingsException(String message) {
        super(message);
    }

    public SettingsException(String message, Throwable cause) {
        super(message, cause);
    }
}
