package dev.shoal.tensor.tokenizer;

/**
 * A stretch of input after special tokens were cut out of it: either raw text that the model's algorithm
 * (SentencePiece or BPE) encodes, or a special token whose literal text appeared in the input.
 */
sealed interface Fragment {

    record Text(String text) implements Fragment {
    }

    record Special(int id) implements Fragment {
    }
}
