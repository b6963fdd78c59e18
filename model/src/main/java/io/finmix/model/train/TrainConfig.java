package io.finmix.model.train;

import java.io.Serializable;

/**
 * Optimisation settings: AdamW (decoupled weight decay on matrices, not on norms or biases),
 * linear warm-up to {@code lr} over {@code warmupSteps}, then a cosine decay to {@code lr *
 * minLrRatio} at {@code totalSteps}; the gradient's global L2 norm clipped to {@code clipNorm}
 * (0: no clipping); {@code seed} for initialisation and dropout.
 */
public record TrainConfig(double lr, double minLrRatio, int warmupSteps, long totalSteps,
    double weightDecay, double beta1, double beta2, double eps, double clipNorm, long seed)
    implements Serializable {

  public TrainConfig {
    check(lr > 0, "lr", lr, "positive");
    check(minLrRatio >= 0 && minLrRatio <= 1, "min_lr_ratio", minLrRatio, "in [0, 1]");
    check(warmupSteps >= 0, "warmup_steps", warmupSteps, "at least 0");
    check(totalSteps >= 1, "total_steps", totalSteps, "positive");
    check(weightDecay >= 0, "weight_decay", weightDecay, "at least 0");
    check(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0, 1)");
    check(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0, 1)");
    check(eps > 0, "eps", eps, "positive");
    check(clipNorm >= 0, "clip_norm", clipNorm, "at least 0");
  }

  /** lr, warm-up and length; the usual rest: min ratio 0.1, decay 0.1, betas 0.9/0.95, clip 1. */
  public static TrainConfig of(double lr, int warmupSteps, long totalSteps, long seed) {
    return new TrainConfig(lr, 0.1, warmupSteps, totalSteps, 0.1, 0.9, 0.95, 1e-8, 1.0, seed);
  }

  /** The same settings with another seed (data-parallel workers each draw their own dropout). */
  public TrainConfig withSeed(long newSeed) {
    return new TrainConfig(lr, minLrRatio, warmupSteps, totalSteps, weightDecay, beta1, beta2, eps,
        clipNorm, newSeed);
  }

  /** The learning rate of step {@code step} (0-based). */
  public double lrAt(long step) {
    if (step < warmupSteps) {
      return lr * (step + 1) / warmupSteps;
    }
    long decay = Math.max(1, totalSteps - warmupSteps);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decay);
    double min = lr * minLrRatio;
    return min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }

  private static void check(boolean ok, String key, Object value, String what) {
    if (!ok) {
      throw new IllegalArgumentException("train." + key + " = " + value + " must be " + what);
    }
  }
}
