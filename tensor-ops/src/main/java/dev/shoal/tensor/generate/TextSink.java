package dev.shoal.tensor.generate;

/** Receives generated text as it becomes safe to show; returning false cancels the generation. */
@FunctionalInterface
public interface TextSink {
    boolean accept(String text);
}
