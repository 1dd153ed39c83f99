package dev.shoal.tensor.generate;

/** The scheduler's admission queue is full; the caller should answer "overloaded, retry later". */
public final class QueueFullException extends RuntimeException {

    public QueueFullException(int capacity) {
        super("the request queue is full (" + capacity + " waiting)");
    }
}
