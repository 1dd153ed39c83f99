package dev.shoal.http;

import static dev.shoal.http.support.Client.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shoal.actors.api.ClusterState;
import dev.shoal.actors.api.ClusterState.Capabilities;
import dev.shoal.actors.api.ClusterState.Instance;
import dev.shoal.actors.api.ClusterState.Member;
import dev.shoal.actors.api.ClusterState.Slice;
import dev.shoal.actors.api.PlacementPreview;
import dev.shoal.http.common.Api;
import dev.shoal.http.support.Metrics;
import dev.shoal.http.support.ScriptedClusterView.Behaviour;
import dev.shoal.http.support.ScriptedClusterView.Call;
import dev.shoal.http.support.ServerExtension;
import dev.shoal.http.support.ServerFixture;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ServerExtension.class)
class ClusterRoutesTest {

    static final String STATE = "/cluster/state";
    static final String PREVIEW = "/cluster/placement/preview";

    static final Slice STAGE_0 = new Slice("node-a", 0, 0, "layers [0,18) heads [0,8) ffn [0,12288) vocab all",
            5L << 30, null);
    static final Slice STAGE_1 = new Slice("node-b", 1, 0, "layers [18,36) heads [0,8) ffn [0,12288) vocab all",
            (5L << 30) + (512L << 20), "node-a");

    static final ClusterState CLUSTER = new ClusterState("node-a", "node-b",
            List.of(new Member("node-a", "pekko://shoal@10.0.0.1:25520", "up", true, List.of("inference", "dc-a"),
                            new Capabilities(24L << 30, 3L << 29, 16, List.of("qwen3-8b-q8_0", "stories260K"))),
                    new Member("node-b", "pekko://shoal@10.0.0.2:25520", "joining", false, List.of(), null)),
            List.of(new Instance("qwen3-8b-q8_0", "pipeline", "ready", List.of(STAGE_0, STAGE_1), null, "udp"),
                    new Instance("llama-70b", "tensor", "failed", List.of(), "node-c left the cluster", "udp")),
            List.of(new ClusterState.Link("node-a", "node-b", 61.25, 1.5e9, 1_764_130_000_000L)));

    static final String CLUSTER_JSON = """
            {"self":"node-a","leader":"node-b",
             "members":[
              {"node":"node-a","address":"pekko://shoal@10.0.0.1:25520","status":"up","reachable":true,
               "roles":["inference","dc-a"],
               "capabilities":{"memory_budget_bytes":25769803776,"memory_budget":"24.0 GiB",
                               "used_bytes":1610612736,"used":"1.5 GiB","cores":16,
                               "model_files":["qwen3-8b-q8_0","stories260K"]}},
              {"node":"node-b","address":"pekko://shoal@10.0.0.2:25520","status":"joining","reachable":false,
               "roles":[],"capabilities":null}],
             "instances":[
              {"model":"qwen3-8b-q8_0","mode":"pipeline","state":"ready","detail":null,"transport":"udp",
               "slices":[
                {"node":"node-a","stage":0,"rank":0,"slice":"layers [0,18) heads [0,8) ffn [0,12288) vocab all",
                 "bytes":5368709120,"memory":"5.0 GiB","weights":"own file"},
                {"node":"node-b","stage":1,"rank":0,"slice":"layers [18,36) heads [0,8) ffn [0,12288) vocab all",
                 "bytes":5905580032,"memory":"5.5 GiB","weights":"fetched from node-a"}]},
              {"model":"llama-70b","mode":"tensor","state":"failed","detail":"node-c left the cluster","transport":"udp",
               "slices":[]}],
             "links":[
              {"a":"node-a","b":"node-b","round_trip_us":61.3,"bytes_per_second":1500000000,"bandwidth":"1.4 GiB/s",
               "measured_at":"2025-11-26T04:06:40Z"}]}
            """;

    static List<String> fields(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The node's error shape (OpenAI's) with the given status; returns error.{...}. */
    static JsonNode error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
        JsonNode e = json(r).get("error");
        assertEquals(List.of("message", "type", "param", "code"), fields(e), r.body());
        assertFalse(e.get("message").asText().isBlank());
        assertFalse(r.body().contains("at dev.shoal") || r.body().contains("Exception"), "no stack trace: " + r.body());
        return e;
    }

    @Test
    void shouldRenderEveryFieldOfTheClusterState(ServerFixture s) {
        s.cluster.answer(CLUSTER);
        HttpResponse<String> r = s.clusterHttp().get(STATE);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = json(r);
        assertEquals(json(CLUSTER_JSON), body);
        assertEquals(List.of("self", "leader", "members", "instances", "links"), fields(body));
        assertEquals(List.of("node", "address", "status", "reachable", "roles", "capabilities"),
                fields(body.at("/members/0")));
        assertEquals(List.of("memory_budget_bytes", "memory_budget", "used_bytes", "used", "cores", "model_files"),
                fields(body.at("/members/0/capabilities")));
        assertEquals(List.of("model", "mode", "state", "detail", "transport", "slices"), fields(body.at("/instances/0")));
        assertEquals(List.of("node", "stage", "rank", "slice", "bytes", "memory", "weights"),
                fields(body.at("/instances/0/slices/0")));
    }

    @Test
    void shouldRenderAClusterWithoutLeaderMembersOrInstances(ServerFixture s) {
        s.cluster.answer(new ClusterState("node-a", null, List.of(), List.of()));
        HttpResponse<String> r = s.clusterHttp().get(STATE);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(json("{\"self\":\"node-a\",\"leader\":null,\"members\":[],\"instances\":[],\"links\":[]}"),
                json(r));
    }

    @Test
    void shouldAnswerAPlanWith200AndPassTheModeOn(ServerFixture s) {
        s.cluster.answer(new PlacementPreview.Plan("qwen3-8b-q8_0", "pipeline", List.of(STAGE_0, STAGE_1),
                "pipeline of 2 stages: node-a layers 0-17, node-b layers 18-35"));
        HttpResponse<String> r = s.clusterHttp().get(PREVIEW + "?model=qwen3-8b-q8_0&mode=pipeline");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(json("""
                {"model":"qwen3-8b-q8_0","fits":true,"mode":"pipeline",
                 "slices":[
                  {"node":"node-a","stage":0,"rank":0,"slice":"layers [0,18) heads [0,8) ffn [0,12288) vocab all",
                   "bytes":5368709120,"memory":"5.0 GiB","weights":"own file"},
                  {"node":"node-b","stage":1,"rank":0,"slice":"layers [18,36) heads [0,8) ffn [0,12288) vocab all",
                   "bytes":5905580032,"memory":"5.5 GiB","weights":"fetched from node-a"}],
                 "description":"pipeline of 2 stages: node-a layers 0-17, node-b layers 18-35",
                 "total_bytes":11274289152,"total_memory":"10.5 GiB"}
                """), body);
        assertEquals(List.of("model", "fits", "mode", "slices", "description", "total_bytes", "total_memory"),
                fields(body));
        assertEquals(List.of(new Call("qwen3-8b-q8_0", "pipeline")), s.cluster.calls());
    }

    @Test
    void shouldAskForTheConfiguredModeWithoutAModeAndAcceptModesInAnyCase(ServerFixture s) {
        s.cluster.answer(new PlacementPreview.Plan("qwen3:8b", "replicas", List.of(STAGE_0), "one replica"));
        assertEquals(200, s.clusterHttp().get(PREVIEW + "?model=qwen3%3A8b").statusCode());
        assertEquals(200, s.clusterHttp().get(PREVIEW + "?model=qwen3%3A8b&mode=Tensor").statusCode());
        assertEquals(200, s.clusterHttp().get(PREVIEW + "?mode=hybrid&model=qwen3%3A8b").statusCode());
        assertEquals(List.of(new Call("qwen3:8b", null), new Call("qwen3:8b", "tensor"),
                new Call("qwen3:8b", "hybrid")), s.cluster.calls());
    }

    @Test
    void shouldAnswerARejectionWith200AndFitsFalse(ServerFixture s) {
        s.cluster.answer(new PlacementPreview.Rejected("llama-70b",
                "tensor over 2 nodes needs 38.2 GiB on each, node-b has 24.0 GiB", "memory"));
        HttpResponse<String> r = s.clusterHttp().get(PREVIEW + "?model=llama-70b&mode=tensor");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(json("""
                {"model":"llama-70b","fits":false,
                 "reason":"tensor over 2 nodes needs 38.2 GiB on each, node-b has 24.0 GiB","cause":"memory"}
                """), body);
        assertEquals(List.of("model", "fits", "reason", "cause"), fields(body));
    }

    @Test
    void shouldAnswerAnUnavailablePreviewWith404(ServerFixture s) {
        s.cluster.answer(new PlacementPreview.Unavailable("nobody-has-it", "no member holds model 'nobody-has-it'"));
        JsonNode e = error(s.clusterHttp().get(PREVIEW + "?model=nobody-has-it"), 404);
        assertEquals("no member holds model 'nobody-has-it'", e.get("message").asText());
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals("model", e.get("param").asText());
        assertEquals("placement_unavailable", e.get("code").asText());
    }

    @Test
    void shouldAnswerAMissingModelWith400WithoutAskingTheView(ServerFixture s) {
        for (String query : List.of("", "?mode=auto", "?model=", "?model=%20%20")) {
            JsonNode e = error(s.clusterHttp().get(PREVIEW + query), 400);
            assertEquals("model", e.get("param").asText(), query);
            assertEquals("invalid_request_error", e.get("type").asText());
            assertTrue(e.get("message").asText().contains("model=NAME"), e.toString());
        }
        assertEquals(List.of(), s.cluster.calls());
    }

    @Test
    void shouldAnswerAnUnknownModeWith400WithoutAskingTheView(ServerFixture s) {
        for (String mode : List.of("sharded", "", "auto2")) {
            JsonNode e = error(s.clusterHttp().get(PREVIEW + "?model=stories260K&mode=" + mode), 400);
            assertEquals("mode", e.get("param").asText());
            assertTrue(e.get("message").asText().contains("auto, replicas, pipeline, tensor, hybrid"),
                    e.toString());
        }
        assertEquals(List.of(), s.cluster.calls());
    }

    @Test
    void shouldAnswer503WhenTheViewFails(ServerFixture s) {
        s.cluster.behave(Behaviour.FAIL);
        JsonNode state = error(s.clusterHttp().get(STATE), 503);
        assertEquals("server_error", state.get("type").asText());
        assertEquals("service_unavailable", state.get("code").asText());
        assertEquals("the cluster view failed: membership actor is gone", state.get("message").asText());
        error(s.clusterHttp().get(PREVIEW + "?model=stories260K"), 503);

        s.cluster.behave(Behaviour.THROW);
        assertEquals("the cluster view failed: view broken",
                error(s.clusterHttp().get(STATE), 503).get("message").asText());
        error(s.clusterHttp().get(PREVIEW + "?model=stories260K"), 503);
    }

    @Test
    void shouldAnswer503WithinTheTimeoutWhenTheViewNeverAnswers(ServerFixture s) throws Exception {
        s.cluster.behave(Behaviour.NEVER);
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> state = s.clusterHttp().getAsync(STATE);
        CompletableFuture<HttpResponse<String>> preview = s.clusterHttp().getAsync(PREVIEW + "?model=stories260K");
        long bound = ClusterRoutes.TIMEOUT.toMillis() + 3000;
        HttpResponse<String> r1 = state.get(bound, TimeUnit.MILLISECONDS);
        HttpResponse<String> r2 = preview.get(bound, TimeUnit.MILLISECONDS);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMs < bound, elapsedMs + " ms");
        assertTrue(elapsedMs >= ClusterRoutes.TIMEOUT.toMillis() - 100, "answered before the timeout: " + elapsedMs);
        assertEquals("the cluster view did not answer within 5 s", error(r1, 503).get("message").asText());
        assertEquals("service_unavailable", error(r2, 503).get("code").asText());
        assertFalse(s.cluster.pending().isDone(), "the timeout must not complete the view's own future");
    }

    @Test
    void shouldAnswer404WithoutAClusterView(ServerFixture s) {
        for (String p : List.of(STATE, PREVIEW + "?model=stories260K", "/cluster", "/cluster/anything")) {
            JsonNode e = error(s.http().get(p), 404);
            assertTrue(e.get("message").asText().contains("runs without a cluster view"), e.toString());
            assertEquals("cluster_view_unavailable", e.get("code").asText());
        }
        // a path that merely starts with the same letters is an ordinary unknown route
        JsonNode other = error(s.http().get("/clusters"), 404);
        assertEquals("unknown_url", other.get("code").asText());
    }

    @Test
    void shouldAnswerUnknownClusterPathsAndWrongMethodsLikeAnyRoute(ServerFixture s) {
        assertEquals("unknown_url", error(s.clusterHttp().get("/cluster/nodes"), 404).get("code").asText());
        assertEquals("unknown_url", error(s.clusterHttp().get("/cluster"), 404).get("code").asText());
        HttpResponse<String> post = s.clusterHttp().method("POST", STATE, "{}");
        assertEquals("method_not_allowed", error(post, 405).get("code").asText());
        assertEquals("GET", post.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void shouldStillServeEveryOtherRouteBesideTheClusterView(ServerFixture s) {
        assertEquals("ok", json(s.clusterHttp().get("/health")).get("status").asText());
        assertEquals("ready", json(s.clusterHttp().get("/ready")).get("status").asText());
        assertEquals("stories260K", json(s.clusterHttp().get("/v1/models")).at("/data/0/id").asText());
        assertEquals(200, s.clusterHttp().get("/api/tags").statusCode());
        HttpResponse<String> chat = s.clusterHttp().post("/v1/chat/completions", "{\"model\":\"stories260K\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}");
        assertEquals(200, chat.statusCode(), chat.body());
        assertEquals("assistant", json(chat).at("/choices/0/message/role").asText(), chat.body());
        assertEquals(200, s.http().get("/health").statusCode());
    }

    @Test
    void shouldCountClusterRequestsUnderTheNodeApi(ServerFixture s) {
        assertEquals(Api.NODE, Api.of(STATE));
        assertEquals(Api.NODE, Api.of(PREVIEW));
        assertEquals(STATE, Api.endpoint(STATE));
        assertEquals(PREVIEW, Api.endpoint(PREVIEW));
        assertEquals("other", Api.endpoint("/cluster/nodes"));

        String state = "shoal_http_requests_total{api=\"node\",endpoint=\"/cluster/state\",status=\"200\"}";
        String bad = "shoal_http_requests_total{api=\"node\",endpoint=\"/cluster/placement/preview\",status=\"400\"}";
        String before = s.clusterHttp().get("/metrics").body();
        s.clusterHttp().get(STATE);
        s.clusterHttp().get(PREVIEW);
        String after = s.clusterHttp().get("/metrics").body();
        assertEquals(1, Metrics.value(after, state) - Metrics.value(before, state), after);
        assertEquals(1, Metrics.value(after, bad) - Metrics.value(before, bad), after);
    }

    @Test
    void shouldShowByteCountsForPeople() {
        assertEquals("0 B", ClusterRoutes.bytes(0));
        assertEquals("1023 B", ClusterRoutes.bytes(1023));
        assertEquals("1.0 KiB", ClusterRoutes.bytes(1024));
        assertEquals("1.5 MiB", ClusterRoutes.bytes(3L << 19));
        assertEquals("1.0 MiB", ClusterRoutes.bytes((1L << 20) - 1));
        assertEquals("24.0 GiB", ClusterRoutes.bytes(24L << 30));
        assertEquals("2.0 TiB", ClusterRoutes.bytes(2L << 40));
    }
}
