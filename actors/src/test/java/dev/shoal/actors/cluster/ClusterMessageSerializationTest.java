package dev.shoal.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import com.typesafe.config.ConfigFactory;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.Completion;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.membership.NodeProfile;
import dev.shoal.sharding.ModelShape;
import dev.shoal.tensor.chat.ChatMessage;
import dev.shoal.tensor.quant.GgmlType;
import dev.shoal.tensor.model.Slice;
import dev.shoal.tensor.sample.SamplingParams;
import dev.shoal.tensor.sample.StopReason;
import dev.shoal.tensor.synth.SyntheticShape;
import dev.shoal.transport.step.DataAddress;
import dev.shoal.transport.step.InstanceWiring;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message that crosses nodes goes through the serializer it is bound to (Jackson CBOR, by the
 * {@link ClusterMessage} marker) and comes back equal, actor references included — in an actor system with the
 * cluster provider, as on a node.
 */
class ClusterMessageSerializationTest {

    static ActorTestKit kit;
    static ActorRef<StreamEvent> stream;
    static ActorRef<PlacementCoordinator.Command> coordinator;
    static ActorRef<ShardWorker.Command> worker;
    static ActorRef<NodeAgent.Command> agent;
    static ActorRef<RouteReply> routeReplies;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("serialization", ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.actor.serialize-messages = off
                """).withFallback(ConfigFactory.load()));
        stream = kit.<StreamEvent>createTestProbe().ref();
        coordinator = kit.<PlacementCoordinator.Command>createTestProbe().ref();
        worker = kit.<ShardWorker.Command>createTestProbe().ref();
        agent = kit.<NodeAgent.Command>createTestProbe().ref();
        routeReplies = kit.<RouteReply>createTestProbe().ref();
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    static ModelShape shape() {
        return ModelShape.synthetic(SyntheticShape.named("tiny"), GgmlType.Q8_0);
    }

    static GenerationJob job(Prompt prompt) {
        return new GenerationJob("stories260K", prompt, SamplingParams.greedy(), 24, List.of("\n\n", "END"),
                Duration.ofMinutes(3));
    }

    static NodeProfile profile() {
        return new NodeProfile("node-a", "pekko://shoal@127.0.0.1:25520", 8L << 30, 1L << 30, 2,
                List.of("stories260K.gguf"), "127.0.0.1", 40123, "http://127.0.0.1:52415",
                "/dev/shm/shoal-host#4242@1764130000000");
    }

    static Stream<Object> messages() {
        InstanceWiring wiring = new InstanceWiring(7, List.of(2, 1), List.of(new DataAddress("127.0.0.1", 40001),
                new DataAddress("127.0.0.1", 40002, "/dev/shm/shoal-host#4242@1764130000000"),
                new DataAddress("127.0.0.1", 40003)));
        List<Slice> slices = List.of(new Slice(0, 3, 0, 2, 0, 96, 0, 256), new Slice(0, 3, 2, 4, 96, 172, 256, 512),
                new Slice(3, 5, 0, 4, 0, 172, 0, 512));
        ShardSpec spec = new ShardSpec("stories260K-1-abc", "stories260K", "stories260K.gguf",
                "pekko://shoal@127.0.0.1:25521", 1, slices, wiring,
                256, 4, 16, 270_398_720L, "http://127.0.0.1:52415");
        Prompt chat = new Prompt.Chat(List.of(ChatMessage.system("be brief"), ChatMessage.user("hello")));
        return Stream.of(
                new StreamEvent.Started(12),
                new StreamEvent.Piece("héllo ", 42),
                new StreamEvent.Piece("", 2),
                new StreamEvent.Finished(" end", new Completion(12, 24, StopReason.MAX_TOKENS, 0, 1000, 2000, 3000)),
                new StreamEvent.Failed(new ServiceError.ContextOverflow(300, 256), false),
                new StreamEvent.Failed(new ServiceError.Internal("peer gone"), true),
                new StreamEvent.Failed(new ServiceError.Overloaded(5), false),
                new StreamEvent.Failed(new ServiceError.InvalidRequest("bad", "messages"), false),
                new StreamEvent.Failed(new ServiceError.ModelNotFound("x"), false),
                new StreamEvent.Failed(new ServiceError.DoesNotFit("x", 10, 5), false),
                new ShardWorker.Load(spec, coordinator),
                new ShardWorker.Connect("stories260K-1-abc"),
                new ShardWorker.Generate(job(chat), stream),
                new ShardWorker.Generate(job(new Prompt.Text("Once upon a time", false, null)), stream),
                new ShardWorker.Generate(job(new Prompt.Continuation(new Prompt.Text("hi", true, "sys"),
                        new int[] {5, 6, 7})), stream),
                new ShardWorker.Cancel(stream),
                new ShardWorker.Stop("stories260K-1-abc"),
                new NodeAgent.GetProfile(kit.<NodeAgent.ProfileReply>createTestProbe().ref()),
                new NodeAgent.ProfileReply(profile(), agent),
                new NodeAgent.RunLocal(job(chat), stream),
                new NodeAgent.CancelLocal(stream),
                new PlacementCoordinator.Route("stories260K", "stories260K.gguf", shape(), Duration.ofMinutes(5), agent,
                        routeReplies),
                new PlacementCoordinator.Released("instance:stories260K-1-abc"),
                new PlacementCoordinator.ShardLoaded("stories260K-1-abc", 2, worker, 123456),
                new PlacementCoordinator.ShardProgress("stories260K-1-abc", 1, 5_000_000_000L),
                new PlacementCoordinator.ShardFailed("stories260K-1-abc", 1, "no such file"),
                new PlacementCoordinator.ShardConnected("stories260K-1-abc", 0),
                new PlacementCoordinator.InstanceBroken("stories260K-1-abc", "rank 1 silent"),
                new PlacementCoordinator.GetInstances(kit.<PlacementCoordinator.Instances>createTestProbe().ref()),
                new PlacementCoordinator.Instances(List.of(new ClusterState.Instance("stories260K", "tensor", "ready",
                        List.of(new ClusterState.Slice("node-a", 0, 0, "layers [0,5)", 1000, null)), null, "ipc")),
                        List.of(profile()),
                        List.of(new ClusterState.Link("node-a", "node-b", 61.5, 1.2e9, 1_764_130_000_000L))),
                new NodeAgent.ProbeLink(7, profile(), agent, kit.<NodeAgent.LinkResult>createTestProbe().ref()),
                new NodeAgent.StartResponder(7, "127.0.0.1", 40123,
                        kit.<NodeAgent.ResponderReady>createTestProbe().ref()),
                new NodeAgent.ResponderReady(7, null),
                new NodeAgent.StopResponder(7),
                new NodeAgent.LinkResult(7, "node-a", "node-b", 61.5, 1.2e9, null),
                new NodeAgent.LinkResult(8, "node-a", "node-c", 0, 0, "not connected"),
                new PlacementCoordinator.Preview("stories260K", "stories260K.gguf", shape(), "tensor",
                        kit.<PlacementPreview>createTestProbe().ref()),
                new RouteReply.ServeHere("node:stories260K@node-a"),
                new RouteReply.ServeOn(agent, "node:stories260K@node-b"),
                new RouteReply.ServeDistributed(worker, "instance:stories260K-1-abc"),
                new RouteReply.Unplaceable("needs 41.2 GiB, the 3 nodes have 38.0 GiB free"),
                new PlacementPreview.Plan("stories260K", "tensor",
                        List.of(new ClusterState.Slice("node-a", 0, 1, "layers [0,5)", 1000, "node-b")), "tensor: ..."),
                new PlacementPreview.Rejected("big", "needs more", "memory"),
                new PlacementPreview.Unavailable("x", "no node has it"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void shouldRoundTripThroughJacksonCbor(Object message) {
        Serialization serialization = SerializationExtension.get(kit.system());
        var serializer = serialization.findSerializerFor(message);
        assertInstanceOf(JacksonCborSerializer.class, serializer, "bound serializer of " + message.getClass());
        byte[] bytes = serialization.serialize(message).get();
        String manifest = Serializers.manifestFor(serializer, message);
        Object back = serialization.deserialize(bytes, serializer.identifier(), manifest).get();
        assertNotSame(message, back);
        assertEquals(message.getClass(), back.getClass());
        if (message instanceof ShardWorker.Generate g
                && g.job().prompt() instanceof Prompt.Continuation c) {
            Prompt.Continuation d = (Prompt.Continuation) ((ShardWorker.Generate) back).job().prompt();
            assertArrayEquals(c.generated(), d.generated());
            assertEquals(c.original(), d.original());
            assertEquals(g.replyTo(), ((ShardWorker.Generate) back).replyTo());
        } else {
            assertEquals(message, back);
        }
    }
}
