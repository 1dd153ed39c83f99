package dev.shoal.actors.cluster;

import io.aeron.Aeron;
import java.nio.file.Path;
import java.time.Duration;
import dev.shoal.transport.TransportSettings;

/**
 * What a node lends the shard workers it hosts: its models directory (slices are read from the node's own copy of
 * the file), the client of its embedded Aeron driver, compute threads per slice, and the transport's timeouts.
 *
 * @param connectTimeout how long a new instance's positions get to connect to each other over Aeron
 */
public record ShardHost(Path modelsDir, Aeron aeron, int threads, TransportSettings transport,
                        Duration connectTimeout) {
}
