/**
 * The data plane over Aeron: the engine's {@link dev.shoal.tensor.model.Collective} and
 * {@link dev.shoal.tensor.model.StageLink} between nodes.
 *
 * <ul>
 *   <li>{@link dev.shoal.transport.EmbeddedDriver} — one media driver per node, in its own directory, shared
 *       threading, non-spinning idle ({@link dev.shoal.transport.DriverSettings},
 *       {@link dev.shoal.transport.IdleMode}).</li>
 *   <li>{@link dev.shoal.transport.Endpoint} — where a participant listens: UDP {@code host:port} or IPC on a shared
 *       driver, each with a stream id.</li>
 *   <li>{@link dev.shoal.transport.AeronCollective} — all-reduce (rank-order sum, bit-identical on every rank) and
 *       gather to rank 0 over a full mesh; {@link dev.shoal.transport.AeronStageLink} — pipeline hand-off.</li>
 *   <li>{@link dev.shoal.transport.TensorFrameDescriptor} — the wire layout both use; frames fit one MTU and are
 *       written in place with {@code tryClaim} ({@code ChunkedSender}).</li>
 *   <li>{@link dev.shoal.transport.PeerUnavailableException} — a gone or silent peer, raised within
 *       {@link dev.shoal.transport.TransportSettings#peerTimeout()} instead of a hang.</li>
 *   <li>{@link dev.shoal.transport.LinkProbe} / {@link dev.shoal.transport.LinkProbeResponder} — RTT and bandwidth
 *       between two endpoints ({@link dev.shoal.transport.LinkMeasurement}).</li>
 *   <li>{@code dev.shoal.transport.step} — a model instance spread over nodes, stepped by its supervisor.</li>
 * </ul>
 *
 * Blocking calls run a duty cycle (offer what the publication takes, poll, idle when neither made progress) on the
 * caller's thread; one thread per collective or link.
 */
package dev.shoal.transport;
