package dev.shoal.membership;

import dev.shoal.config.NodeSettings;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one node offers the cluster: its memory budget and what of it is used, its cores, the model files on its disk,
 * where its data plane and HTTP API are. Nodes send it to each other (Jackson CBOR), so it holds only strings, numbers
 * and a list of strings; Jackson reads and writes a record as it is.
 *
 * @param nodeName          the node's name ({@link NodeNames})
 * @param address           its Pekko address, {@code pekko://shoal@host:port}
 * @param memoryBudgetBytes what Shoal may use on the node ({@code shoal.memory.budget})
 * @param usedBytes         what loaded weights and KV caches hold of that budget now
 * @param cores             processors the node's JVM may use
 * @param modelFiles        {@code *.gguf} file names in its models directory (and one level down), sorted
 * @param dataHost          where peers reach its Aeron data plane
 * @param dataPort          its Aeron UDP port
 * @param httpBaseUrl       its HTTP API, {@code http://host:port}
 * @param dataDriver        the id of the host's shared media driver it uses ({@code shoal.cluster.aeron-dir}), or
 *                          empty when it runs its own: nodes with one id exchange data over IPC
 */
public record NodeProfile(String nodeName, String address, long memoryBudgetBytes, long usedBytes, int cores,
                          List<String> modelFiles, String dataHost, int dataPort, String httpBaseUrl,
                          String dataDriver) {

    public NodeProfile {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(address, "address");
        modelFiles = List.copyOf(modelFiles);
        dataDriver = dataDriver == null ? "" : dataDriver;
    }

    /**
     * This node's profile from its settings, the files now in its models directory and the processors the JVM sees.
     *
     * @param dataPort   the data port in use (the configured one, or the one picked when it was 0)
     * @param dataDriver the shared media driver's id, or empty
     */
    public static NodeProfile local(NodeSettings settings, String nodeName, String address, int dataPort,
                                    String httpBaseUrl, long usedBytes, String dataDriver) {
        return new NodeProfile(nodeName, address, settings.memory().budgetBytes(), usedBytes,
                Runtime.getRuntime().availableProcessors(), ModelFiles.list(settings.models().dir()),
                settings.cluster().dataHost(), dataPort, httpBaseUrl, dataDriver);
    }

    /** One line for JMX and logs: {@code node-a pekko://shoal@... memory 1.5/12.0 GiB, 8 cores, models [...], ...}. */
    public String line() {
        return String.format(Locale.ROOT, "%s %s memory %.1f/%.1f GiB, %d cores, models %s, data %s:%d%s, http %s",
                nodeName, address, gib(usedBytes), gib(memoryBudgetBytes), cores, modelFiles, dataHost, dataPort,
                dataDriver.isEmpty() ? "" : " (shared driver)", httpBaseUrl);
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
