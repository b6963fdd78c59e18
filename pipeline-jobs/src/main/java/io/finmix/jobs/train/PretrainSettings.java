package io.finmix.jobs.train;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code pretrain} section of the config, read and checked in one place.
 *
 * @param recipe the mixture the base learns from (packed by tokenize)
 * @param model the base's preset (models.conf)
 * @param steps optimizer steps, at least 1
 * @param lr peak learning rate
 * @param warmupSteps linear warm-up steps
 * @param batchPerWorker sequences a worker takes a step
 * @param seed the initial weights' and the data order's seed
 * @param runName the pretraining run's name: pretrain.name, else
 *     pretrain-&lt;model&gt;-s&lt;seed&gt;
 */
record PretrainSettings(String recipe, String model, long steps, double lr, int warmupSteps,
    int batchPerWorker, long seed, String runName) {

  static PretrainSettings of(FinmixConfig config) {
    var p = config.config().getConfig("pretrain");
    long steps = p.getLong("steps");
    if (steps < 1) {
      throw new UserError("pretrain.steps = " + steps + " must be at least 1 ("
          + config.originOf("pretrain.steps") + ")");
    }
    String name = p.getString("name").trim();
    return new PretrainSettings(p.getString("recipe"), p.getString("model"), steps,
        p.getDouble("lr"), p.getInt("warmup_steps"), p.getInt("batch_per_worker"),
        p.getLong("seed"), name.isEmpty()
            ? "pretrain-" + p.getString("model") + "-s" + p.getLong("seed") : name);
  }

  /** The train.* keys of the pretraining run: a fresh model, full weights, exported. */
  Map<String, Object> trainKeys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("train.recipe", recipe);
    m.put("train.model", model);
    m.put("train.init", "");
    m.put("train.lora.enabled", false);
    m.put("train.steps", steps);
    m.put("train.lr", lr);
    m.put("train.warmup_steps", warmupSteps);
    m.put("train.batch_per_worker", batchPerWorker);
    m.put("train.seed", seed);
    m.put("train.name", runName);
    m.put("train.export_hf", true);
    // a language model's loss: every token counts the same, whatever its text's length
    m.put("train.loss_weighting", "token");
    return m;
  }
}
