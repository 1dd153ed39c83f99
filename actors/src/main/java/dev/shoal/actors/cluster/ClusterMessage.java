package dev.shoal.actors.cluster;

/**
 * Marker of every message that crosses nodes. Bound to Pekko's {@code jackson-cbor} serializer in this module's
 * {@code reference.conf}; each implementing type has a round-trip test ({@code ClusterMessageSerializationTest}).
 * Messages carry ids and small metadata, never tensors: per-step bytes go over Aeron.
 */
public interface ClusterMessage {
}
