package dev.shoal.actors.cluster;

import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;

/**
 * One shard per shard worker: the shard id is the entity id, so external shard allocation (which places shards)
 * places each position of an instance exactly where the plan names.
 */
final class ShardRouting extends ShardingMessageExtractor<ShardingEnvelope<ShardWorker.Command>, ShardWorker.Command> {

    @Override
    public String entityId(ShardingEnvelope<ShardWorker.Command> envelope) {
        return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
        return entityId;
    }

    @Override
    public ShardWorker.Command unwrapMessage(ShardingEnvelope<ShardWorker.Command> envelope) {
        return envelope.message();
    }
}
