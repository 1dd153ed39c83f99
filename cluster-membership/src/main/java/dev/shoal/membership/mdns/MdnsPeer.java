package dev.shoal.membership.mdns;

/**
 * One node found (or announced) by mDNS: the Pekko Management endpoint Cluster Bootstrap probes.
 *
 * @param instance the mDNS instance name (the node name)
 * @param service  the bootstrap service name it belongs to, so that two clusters on one LAN stay apart
 */
public record MdnsPeer(String instance, String service, String host, int port) {
}
