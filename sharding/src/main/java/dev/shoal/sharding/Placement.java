package dev.shoal.sharding;

import dev.shoal.tensor.model.Slice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The planner's answer: a {@link Plan} in one of four shapes, or a {@link Rejection} that says why nothing fits.
 * Every plan lists, per node, the {@link Slice} the engine loads there and the memory it takes.
 */
public sealed interface Placement permits Placement.Plan, Placement.Rejection {

    /** A placement that fits. */
    sealed interface Plan extends Placement permits Replicas, Pipeline, Tensor, Hybrid {

        /** Every node's slice and memory, stage by stage and rank by rank. */
        List<Assignment> assignments();

        /** The nodes the plan uses, in assignment order. */
        default List<NodeId> nodes() {
            return assignments().stream().map(Assignment::node).toList();
        }

        /** Hops a token makes through the plan: pipeline stages (1 for replicas and pure tensor). */
        default int stageCount() {
            return switch (this) {
                case Replicas _ -> 1;
                case Pipeline p -> p.stages().size();
                case Tensor _ -> 1;
                case Hybrid h -> h.stages().size();
            };
        }

        /** Independent copies of the model serving requests side by side. */
        default int copies() {
            return switch (this) {
                case Replicas r -> r.nodes().size();
                case Pipeline _ -> 1;
                case Tensor _ -> 1;
                case Hybrid _ -> 1;
            };
        }

        /** One line per node, for a placement preview. */
        default String describe() {
            String kind = switch (this) {
                case Replicas _ -> "replicas";
                case Pipeline _ -> "pipeline";
                case Tensor _ -> "tensor";
                case Hybrid _ -> "hybrid";
            };
            return kind + ":\n" + assignments().stream()
                    .map(a -> "  " + a.node() + " " + a.slice() + " needs " + a.memory().describe())
                    .collect(Collectors.joining("\n"));
        }
    }

    /** The whole model on each node, ordered by free memory (most first); routing among them is the router's. */
    record Replicas(List<NodeId> nodes, Slice slice, MemoryNeed memory) implements Plan {
        public Replicas {
            nodes = nonEmpty(nodes, "replicas");
            Objects.requireNonNull(slice, "slice");
            Objects.requireNonNull(memory, "memory");
        }

        @Override
        public List<Assignment> assignments() {
            return nodes.stream().map(n -> new Assignment(n, slice, memory)).toList();
        }
    }

    /** Contiguous, half-open layer ranges in stage order, covering every layer once. */
    record Pipeline(List<Stage> stages) implements Plan {
        public Pipeline {
            stages = nonEmpty(stages, "stages");
        }

        @Override
        public List<Assignment> assignments() {
            return stages.stream().map(Stage::assignment).toList();
        }
    }

    /** Every layer on every rank, heads/FFN/vocabulary split across the ranks, in rank order. */
    record Tensor(List<Rank> ranks) implements Plan {
        public Tensor {
            ranks = nonEmpty(ranks, "ranks");
        }

        @Override
        public List<Assignment> assignments() {
            return ranks.stream().map(Rank::assignment).toList();
        }
    }

    /** Pipeline stages, each a tensor-parallel group of ranks sharing one layer range. */
    record Hybrid(List<List<Rank>> stages) implements Plan {
        public Hybrid {
            List<List<Rank>> copy = new ArrayList<>();
            for (List<Rank> group : nonEmpty(stages, "stages")) {
                copy.add(nonEmpty(group, "ranks of a stage"));
            }
            stages = List.copyOf(copy);
        }

        @Override
        public List<Assignment> assignments() {
            return stages.stream().flatMap(List::stream).map(Rank::assignment).toList();
        }
    }

    /**
     * Nothing fits, and why, with the figures ("llama-3.1-70b needs 41.2 GiB (...), the 3 nodes have 38.0 GiB
     * free"). An expected outcome, so a value and not an exception.
     */
    record Rejection(String reason, Cause cause) implements Placement {
        public enum Cause {
            /** The nodes lack the memory (in all, or for the best split). */
            MEMORY,
            /** A tensor split would cut a quantization block or leave a rank without heads or columns. */
            DIVISIBILITY,
            /** The model has fewer layers than the plan has stages. */
            TOO_FEW_LAYERS,
            /** No nodes were offered. */
            NO_NODES,
            /** The request itself cannot be met (context longer than trained, a node listed twice). */
            INVALID_REQUEST,
            /** A manual placement is malformed (gaps, overlaps, unknown nodes). */
            INVALID_MANUAL
        }

        public Rejection {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(cause, "cause");
        }
    }

    private static <T> List<T> nonEmpty(List<T> list, String what) {
        if (list.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one of its " + what);
        }
        return List.copyOf(list);
    }
}
