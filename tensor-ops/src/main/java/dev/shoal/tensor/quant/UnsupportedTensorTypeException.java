package dev.shoal.tensor.quant;

/** A tensor whose type this engine has no kernels for; the message names the tensor and its type. */
public final class UnsupportedTensorTypeException extends RuntimeException {

    public UnsupportedTensorTypeException(String tensorName, GgmlType type) {
        super("tensor '" + tensorName + "' has type " + type + ", which Shoal does not support (supported: "
                + QuantKernels.supportedNames() + ")");
    }
}
