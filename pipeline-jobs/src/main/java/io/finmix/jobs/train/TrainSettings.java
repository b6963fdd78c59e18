package io.finmix.jobs.train;

import com.typesafe.config.Config;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import io.finmix.model.config.LoraConfig;
import io.finmix.model.train.TrainConfig;
import java.io.File;
import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code train} section of the config, checked: every problem names its key.
 *
 * @param steps optimizer steps; 0: {@code epochs} passes over the training sequences
 * @param perExampleLoss {@code loss_weighting = example}: the loss is the mean over examples
 *     of each example's mean over its answer tokens, not the mean over all answer tokens
 * @param given every key of the section as given, for train.runs.hyper_parameters
 */
public record TrainSettings(String recipe, String name, String model, String modelsFile,
    String init, LoraConfig lora, double lr, double minLrRatio, int warmupSteps,
    double weightDecay, double beta1, double beta2, double clipNorm, long steps, int epochs,
    int batchPerWorker, int workers, int averagingFrequency, double validationFraction,
    int evalEvery, int checkpointEvery, int keepCheckpoints, boolean exportHf, String outputDir,
    long seed, boolean perExampleLoss, Map<String, String> given) implements Serializable {

  static TrainSettings of(FinmixConfig config) {
    Config c = config.config().getConfig("train");
    String recipe = c.getString("recipe").trim();
    if (recipe.isEmpty()) {
      throw new UserError("train.recipe is empty: name the recipe to train on");
    }
    LoraConfig lora = null;
    if (c.getBoolean("lora.enabled")) {
      try {
        lora = new LoraConfig(c.getInt("lora.rank"), c.getDouble("lora.alpha"),
            c.getDouble("lora.dropout"), new LinkedHashSet<>(c.getStringList("lora.targets")));
      } catch (IllegalArgumentException e) {
        throw new UserError("train.lora: " + e.getMessage(), e);
      }
    }
    TrainSettings s = new TrainSettings(recipe, c.getString("name").trim(),
        c.getString("model").trim(), c.getString("models"), c.getString("init").trim(), lora,
        c.getDouble("lr"), c.getDouble("min_lr_ratio"), c.getInt("warmup_steps"),
        c.getDouble("weight_decay"), c.getDouble("beta1"), c.getDouble("beta2"),
        c.getDouble("clip_norm"), c.getLong("steps"), c.getInt("epochs"),
        c.getInt("batch_per_worker"), c.getInt("workers"), c.getInt("averaging_frequency"),
        c.getDouble("validation_fraction"), c.getInt("eval_every"), c.getInt("checkpoint_every"),
        c.getInt("keep_checkpoints"), c.getBoolean("export_hf"), c.getString("output_dir").trim(),
        c.getLong("seed"), lossWeighting(c), given(c));
    s.check();
    return s;
  }

  /** {@code loss_weighting}: true for example, false for token. */
  private static boolean lossWeighting(Config c) {
    String w = c.getString("loss_weighting").trim();
    if (!w.equals("example") && !w.equals("token")) {
      throw new UserError("train.loss_weighting = '" + w + "' must be example or token");
    }
    return w.equals("example");
  }

  private static Map<String, String> given(Config c) {
    Map<String, String> m = new TreeMap<>();
    c.entrySet().forEach(e -> m.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
    return m;
  }

  private void check() {
    positive("steps", steps, true);
    positive("epochs", epochs, false);
    positive("batch_per_worker", batchPerWorker, false);
    positive("workers", workers, true);
    positive("averaging_frequency", averagingFrequency, false);
    positive("eval_every", evalEvery, true);
    positive("checkpoint_every", checkpointEvery, false);
    positive("keep_checkpoints", keepCheckpoints, false);
    if (!(validationFraction >= 0 && validationFraction < 0.5)) {
      throw new UserError("train.validation_fraction = " + validationFraction
          + " must be in [0, 0.5)");
    }
    if (model.isEmpty() && init.isEmpty()) {
      throw new UserError("train.model is empty and train.init is not set: name a preset or a "
          + "directory to start from");
    }
    if (!name.isEmpty() && !name.matches("[A-Za-z0-9._+=-]+")) {
      throw new UserError("train.name '" + name + "' may hold only letters, digits and ._+=-");
    }
    if (!init.isEmpty() && !new File(init).isDirectory()) {
      throw new UserError("train.init: " + init + " is not a directory (a finmix checkpoint or "
          + "a Hugging Face model directory)");
    }
    try {
      optimizer(1);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
  }

  private static void positive(String key, long value, boolean zeroAllowed) {
    if (value < 0 || (value == 0 && !zeroAllowed)) {
      throw new UserError("train." + key + " = " + value + " must be "
          + (zeroAllowed ? "at least 0" : "positive"));
    }
  }

  /** The training run's name: {@code train.name}, or recipe, model and seed. */
  String trainRun() {
    if (!name.isEmpty()) {
      return name;
    }
    String base = init.isEmpty() ? model : new File(init).getName();
    return recipe + "-" + base + "-s" + seed + (lora == null ? "" : "-lora");
  }

  /** The optimizer settings for a run of {@code totalSteps}. */
  TrainConfig optimizer(long totalSteps) {
    return new TrainConfig(lr, minLrRatio, warmupSteps, totalSteps, weightDecay, beta1, beta2,
        1e-8, clipNorm, seed);
  }
}
