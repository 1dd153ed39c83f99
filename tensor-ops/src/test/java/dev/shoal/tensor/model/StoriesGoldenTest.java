package dev.shoal.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shoal.tensor.SharedModels;
import dev.shoal.tensor.gguf.GgufFile;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoriesGoldenTest {

    /** ../shared/models/README.md: greedy from BOS, llama2.c run.c semantics (stop at BOS or 256 positions). */
    static final int[] GOLDEN = Arrays.stream(("403 407 261 378 432 383 286 261 376 298 315 421 395 317 426 338 401 "
            + "396 267 337 410 408 419 292 411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352 266 268 388 "
            + "426 338 391 266 267 337 335 312 432 398 312 286 267 414 270 333 415 426 13 438 310 439 419 357 336 432 "
            + "313 438 310 432 278 316 439 419 298 414 267 265 282 295 433 426 436 317 286 296 418 269 279 292 416 439 "
            + "413 409 416 327 263 415 294 267 400 426 338 336 432 313 442 391 267 337 335 364 420 268 388 432 398 359 "
            + "280 303 439 413 272 417 264 312 426 436 13 438 310 286 296 418 269 279 292 416 439 413 409 416 327 263 "
            + "415 294 267 400 426 338 336 432 313 442 439 423 262 304 420 422 432 317 426 359 279 292 416 439 413 409 "
            + "416 327 263 415 294 267 400 426 436 13 438 310 279 292 416 439 413 391 267 281 421 427 311 357 432 384 "
            + "358 336 432 313 442 439 423 262 304 420 422 432 357 426 359 279 292 416 439 413 409 416 327 263 415 294 "
            + "267 400 426 436 320 285 357 336 432 313 455 289 439 413 263 304 420 422 432 317 426 410 448 411 280 303 "
            + "281 421 427 364 426").split(" ")).mapToInt(Integer::parseInt).toArray();

    @Test
    void shouldReproduceTheReferenceGreedyIdsFromBos() throws Exception {
        try (GgufFile f = GgufFile.open(SharedModels.require("stories260K.gguf"));
             WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            SliceModel m = SliceModel.whole(SliceWeights.load(f, c, Slice.whole(c)), pool, 256);
            KvCache cache = m.newCache(256);
            List<Integer> ids = Greedy.run((t, p) -> m.forward(t, p, cache, true), new int[] {1}, GOLDEN.length);
            assertEquals(GOLDEN.length, 256);
            assertEquals(Arrays.toString(GOLDEN), ids.toString().replace(",", ","));
        }
    }
}
