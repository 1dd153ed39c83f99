package dev.shoal.actors;

import dev.shoal.actors.api.ServiceError;

/** The answer to a generation request: running (events follow on its listener) or refused before it started. */
public sealed interface Admission {

    enum Admitted implements Admission { INSTANCE }

    record Rejected(ServiceError error) implements Admission {
    }
}
