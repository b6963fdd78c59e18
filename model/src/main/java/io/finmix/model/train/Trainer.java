package io.finmix.model.train;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.io.NdTensors;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains a {@link Decoder}, full or LoRA (only {@link Decoder#trainable()} parameters change):
 * per step one forward and backward pass, the global gradient norm clipped, the learning rate
 * of the warm-up + cosine schedule, an AdamW update. Deterministic: adapter dropout is seeded
 * by (seed, step), and a trainer {@link #resume}d from a {@link #checkpoint} takes exactly the
 * steps the original would have taken.
 */
public final class Trainer {

  /** What one step did: its index (0-based), the loss before the update, the gradient norm
   *  before clipping, the learning rate, and the tokens of the batch (non-padding). */
  public record Step(long step, double loss, double gradNorm, double lr, long tokens) {}

  /** The checkpoint state key of the adapters spec (absent: full fine-tuning). */
  public static final String LORA = "lora";
  static final String OPTIMIZER_STEPS = "optimizer_steps";

  private final Decoder model;
  private final TrainConfig cfg;
  private final AdamW adam;
  private long step;

  public Trainer(Decoder model, TrainConfig cfg) {
    this.model = model;
    this.cfg = cfg;
    this.adam = new AdamW(cfg);
  }

  public Decoder model() {
    return model;
  }

  /** Steps taken so far, counting those before a resume. */
  public long steps() {
    return step;
  }

  /**
   * One optimisation step on {@code batch}.
   *
   * @throws NonFiniteLossException when the loss or gradient is not finite (nothing changed)
   */
  public Step step(Batch batch) {
    Decoder.Gradients g = model.lossAndGradients(batch, cfg.seed() * 0x9E3779B97F4A7C15L + step);
    double norm = adam.norm(g.byName().values());
    if (!Double.isFinite(g.loss()) || !Double.isFinite(norm)) {
      throw new NonFiniteLossException(step, g.loss(), norm);
    }
    double clip = cfg.clipNorm() > 0 && norm > cfg.clipNorm() ? cfg.clipNorm() / (norm + 1e-6)
        : 1;
    double lr = cfg.lrAt(step);
    adam.step(model.parameters(), g.byName(), lr, clip);
    return new Step(step++, g.loss(), norm, lr, tokens(batch));
  }

  private static long tokens(Batch b) {
    long n = 0;
    for (int[] row : b.segments()) {
      for (int s : row) {
        n += s != 0 ? 1 : 0;
      }
    }
    return n;
  }

  /** The training state as a checkpoint: parameters, optimizer moments, step, adapters. */
  public Checkpoint checkpoint(String tokenizer, Map<String, String> extra) {
    Map<String, String> state = new TreeMap<>(extra);
    state.put(OPTIMIZER_STEPS, Long.toString(adam.steps()));
    if (model.lora() != null) {
      state.put(LORA, model.lora().spec());
    }
    return new Checkpoint(step, model.config(), tokenizer, NdTensors.tensors(model.parameters()),
        NdTensors.tensors(adam.state()), state);
  }

  /**
   * The trainer of checkpoint {@code ck} (its model, adapters, optimizer state and step), to go
   * on with {@code cfg}.
   */
  public static Trainer resume(Checkpoint ck, TrainConfig cfg) {
    return resume(ck, cfg, newModel(ck, cfg.seed()));
  }

  /** A fresh model of checkpoint {@code ck}'s config and adapters; its weights are not set. */
  public static Decoder newModel(Checkpoint ck, long seed) {
    String spec = ck.state().get(LORA);
    return new Decoder(ck.config(), spec == null ? null : LoraConfig.parse(spec), seed);
  }

  /**
   * As {@link #resume(Checkpoint, TrainConfig)}, into an existing {@code model} of the same
   * config and adapters (a model kept across calls, as a Spark executor keeps one). With LoRA,
   * a checkpoint holding the adapters alone sets just those: the model's base must already be
   * the checkpoint's base.
   */
  public static Trainer resume(Checkpoint ck, TrainConfig cfg, Decoder model) {
    loadWeights(ck, model);
    Trainer t = new Trainer(model, cfg);
    t.adam.restore(Long.parseLong(ck.state().getOrDefault(OPTIMIZER_STEPS, "0")), ck.optimizer(),
        model.parameters());
    t.step = ck.step();
    return t;
  }

  /**
   * Sets {@code model}'s weights from checkpoint {@code ck} (no optimizer state), checking
   * that config and adapters match; with LoRA, a checkpoint holding the adapters alone sets
   * just those.
   */
  public static void loadWeights(Checkpoint ck, Decoder model) {
    if (!model.config().equals(ck.config())) {
      throw new IllegalArgumentException("the model's config differs from the checkpoint's");
    }
    String spec = ck.state().get(LORA);
    if (!java.util.Objects.equals(spec, model.lora() == null ? null : model.lora().spec())) {
      throw new IllegalArgumentException("the model's adapters (" + model.lora()
          + ") differ from the checkpoint's (" + spec + ")");
    }
    if (model.lora() != null && model.trainable().containsAll(ck.parameters().keySet())) {
      model.setAdapters(ck.parameters());
    } else {
      model.setParameters(ck.parameters());
    }
  }
}
