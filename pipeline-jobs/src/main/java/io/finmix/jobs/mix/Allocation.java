package io.finmix.jobs.mix;

import java.util.Arrays;

/**
 * How much of a recipe's total each component gets: shares by weight, within each component's
 * bounds (its min, and the least of its max and its repetition cap times its pool), with what a
 * bound cuts redistributed over the components still free ("water filling"). Pure arithmetic on
 * per-component sizes, in the recipe's unit (examples or tokens).
 */
public final class Allocation {

  private Allocation() {}

  /** The targets, what the bounds changed, and the shares asked for. */
  public record Result(double[] requestedShare, double[] requested, double[] target,
      boolean[] capped) {

    public double total() {
      return Arrays.stream(target).sum();
    }
  }

  /**
   * Splits {@code total} over components with {@code weights} (normalised here), {@code lower}
   * and {@code upper} bounds ({@code upper} already includes the repetition cap). When the
   * uppers cannot reach the total, every component gets its upper: the mixture is smaller than
   * asked, never padded.
   */
  public static Result of(double total, double[] weights, double[] lower, double[] upper) {
    int k = weights.length;
    double sum = Arrays.stream(weights).sum();
    if (!(sum > 0)) {
      throw new IllegalArgumentException("the weights must add up to more than 0");
    }
    double[] share = new double[k];
    double[] requested = new double[k];
    for (int i = 0; i < k; i++) {
      share[i] = weights[i] / sum;
      requested[i] = share[i] * total;
    }
    double[] target = new double[k];
    boolean[] fixed = new boolean[k];
    boolean[] capped = new boolean[k];
    // Fix the components a bound holds, then share what is left by weight among the others,
    // until no free component leaves its bounds.
    while (true) {
      double left = total;
      double freeWeight = 0;
      for (int i = 0; i < k; i++) {
        if (fixed[i]) {
          left -= target[i];
        } else {
          freeWeight += share[i];
        }
      }
      if (freeWeight == 0) {
        break;
      }
      // Caps first (capping one only raises the others), then minimums.
      boolean changed = false;
      for (int i = 0; i < k; i++) {
        if (!fixed[i]) {
          target[i] = Math.max(0, left) * share[i] / freeWeight;
          if (target[i] > upper[i]) {
            target[i] = upper[i];
            fixed[i] = true;
            capped[i] = true;
            changed = true;
          }
        }
      }
      for (int i = 0; i < k && !changed; i++) {
        if (!fixed[i] && target[i] < lower[i]) {
          target[i] = Math.min(lower[i], upper[i]);
          fixed[i] = true;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    return new Result(share, requested, target, capped);
  }

  /**
   * Whole-example targets that add up to the rounded total: largest remainders, ties to the
   * earlier component, never above a component's (whole) upper bound.
   */
  public static long[] wholeExamples(double[] target, long[] upper) {
    int k = target.length;
    long[] out = new long[k];
    double[] remainder = new double[k];
    long total = Math.round(Arrays.stream(target).sum());
    long assigned = 0;
    for (int i = 0; i < k; i++) {
      out[i] = Math.min(upper[i], (long) Math.floor(target[i] + 1e-9));
      remainder[i] = target[i] - out[i];
      assigned += out[i];
    }
    Integer[] order = new Integer[k];
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> remainder[a] != remainder[b]
        ? Double.compare(remainder[b], remainder[a]) : Integer.compare(a, b));
    for (int j = 0; assigned < total && j < k; j++) {
      int i = order[j];
      if (out[i] < upper[i] && remainder[i] > 0) {
        out[i]++;
        assigned++;
      }
    }
    return out;
  }

  /** Temperature weights: p_i proportional to size_i^(1/T). */
  public static double[] temperature(double[] sizes, double t) {
    double[] w = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      w[i] = Math.pow(sizes[i], 1 / t);
    }
    return w;
  }
}
