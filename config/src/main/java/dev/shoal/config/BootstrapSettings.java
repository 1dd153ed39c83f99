package dev.shoal.config;

/**
 * Pekko Management Cluster Bootstrap ({@code shoal.cluster.bootstrap}): used only when no seed nodes are configured.
 *
 * @param enabled               start Pekko Management and Cluster Bootstrap instead of joining itself
 * @param requiredContactPoints how many nodes (this one included) discovery must find before a new cluster is formed
 */
public record BootstrapSettings(boolean enabled, int requiredContactPoints) {
}
