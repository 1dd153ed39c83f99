package dev.shoal.actors;

import dev.shoal.actors.api.LoadedModel;
import dev.shoal.actors.api.ModelEntry;
import java.util.List;

/**
 * What the registry has loaded, published for {@code loaded()} so that listing loaded models never waits on an
 * actor: the registry replaces the list on every load and unload; live counts and expiry come from each
 * instance's {@link InstanceGauge}.
 */
final class LoadedModels {

    /** One resident model: its entry, the bytes charged to the budget for it, its gauge. */
    record Resident(ModelEntry entry, long residentBytes, InstanceGauge gauge) {
    }

    private volatile List<Resident> residents = List.of();

    void publish(List<Resident> now) {
        residents = List.copyOf(now);
    }

    List<LoadedModel> now() {
        return residents.stream()
                .map(r -> new LoadedModel(r.entry(), r.residentBytes(), r.gauge().expiresAt(), r.gauge().active(),
                        r.gauge().queued()))
                .toList();
    }
}
