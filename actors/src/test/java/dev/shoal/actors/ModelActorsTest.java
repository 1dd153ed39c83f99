package dev.shoal.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.shoal.actors.api.GenerationJob;
import dev.shoal.actors.api.Prompt;
import dev.shoal.actors.api.ServiceError;
import dev.shoal.config.EngineSettings;
import dev.shoal.config.NodeSettings;
import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.generate.LocalModel;
import dev.shoal.tensor.sample.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry and instance protocols message by message, with probes in place of their peers. */
class ModelActorsTest {

    static final ActorTestKit testKit = ActorTestKit.create();

    @TempDir
    static Path models;

    @BeforeAll
    static void modelsDir() throws Exception {
        Files.copy(SharedModels.require("stories260K.gguf"), models.resolve("stories260K.gguf"));
    }

    @AfterAll
    static void shutdownTestKit() {
        testKit.shutdownTestKit();
    }

    static GenerationJob job(String model, Duration keepAlive) {
        return new GenerationJob(model, new Prompt.Text("Once", false, null), SamplingParams.greedy(), 3, List.of(),
                keepAlive);
    }

    @Test
    void theRegistryShouldRefuseAnUnknownModelAndAMissingName() {
        NodeSettings settings = NodeSettings.fromConfig(ConfigFactory.parseString(
                "shoal.models.dir = \"" + models + "\""));
        ActorRef<ModelRegistry.Command> registry = testKit.spawn(ModelRegistry.create(ModelCatalog.scan(models),
                settings, new LoadedModels(), new CompletableFuture<>()));
        TestProbe<Admission> probe = testKit.createTestProbe();
        registry.tell(new ModelRegistry.Generate(job("nope", null), new Recorder(), new PendingHandle(), 0,
                probe.getRef()));
        probe.expectMessage(new Admission.Rejected(new ServiceError.ModelNotFound("nope")));
        registry.tell(new ModelRegistry.Generate(job(" ", null), new Recorder(), new PendingHandle(), 0,
                probe.getRef()));
        ServiceError e = assertInstanceOf(Admission.Rejected.class, probe.receiveMessage()).error();
        assertEquals("model", assertInstanceOf(ServiceError.InvalidRequest.class, e).param());
        testKit.stop(registry);
    }

    @Test
    void anInstanceShouldReportEachEndAndAskToBeUnloadedAfterKeepAlive() throws Exception {
        ModelFile file = ModelCatalog.scan(models).lookupFile("stories260K").orElseThrow();
        LocalModel lm = LocalModel.open(file.entry().path(), 1, 256);
        TestProbe<ModelRegistry.Command> registry = testKit.createTestProbe();
        InstanceGauge gauge = new InstanceGauge();
        ActorRef<ModelInstance.Command> instance = testKit.spawn(ModelInstance.create(file, lm,
                new EngineSettings(1, 256, 2, 4), Duration.ofMinutes(5), registry.getRef(), gauge));
        TestProbe<Admission> admission = testKit.createTestProbe();

        Recorder r = new Recorder();
        instance.tell(new ModelInstance.Submit(job("stories260K", Duration.ofMillis(200)), r, new PendingHandle(),
                System.nanoTime(), 0, admission.getRef()));
        admission.expectMessage(Admission.Admitted.INSTANCE);
        r.completion();
        registry.expectMessage(new ModelRegistry.RequestFinished(instance));
        // the request's keep-alive (200 ms) replaced the default (5 min)
        registry.expectMessage(Duration.ofSeconds(3), new ModelRegistry.IdleExpired(instance));

        Recorder bad = new Recorder();
        instance.tell(new ModelInstance.Submit(new GenerationJob("stories260K", new Prompt.Chat(List.of()),
                null, 3, List.of(), null), bad, new PendingHandle(), System.nanoTime(), 0, admission.getRef()));
        ServiceError e = assertInstanceOf(Admission.Rejected.class, admission.receiveMessage()).error();
        assertEquals("messages", assertInstanceOf(ServiceError.InvalidRequest.class, e).param());
        registry.expectMessage(new ModelRegistry.RequestFinished(instance));

        instance.tell(ModelInstance.Unload.INSTANCE);
        registry.expectTerminated(instance);
    }
}
