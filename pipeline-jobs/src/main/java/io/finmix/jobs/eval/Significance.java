package io.finmix.jobs.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Significance tests beside the bootstrap: Holm's step-down adjustment of a family of p-values,
 * and the exact McNemar test of two systems' right/wrong answers on the same rows.
 */
public final class Significance {

  /** McNemar's discordant counts and the exact two-sided p-value. */
  public record McNemar(long b, long c, double pValue) {}

  private Significance() {}

  /**
   * Holm-Bonferroni adjusted p-values, in the order given. With the m finite p-values sorted
   * ascending, p(1) &lt;= ... &lt;= p(m), the adjusted p(i) is max over j &lt;= i of
   * min(1, (m - j + 1) * p(j)): the running maximum keeps the adjusted values in the order of
   * the raw ones. Rejecting where the adjusted value is below alpha is Holm's procedure at
   * level alpha, which controls the family-wise error rate under any dependence. A NaN entry
   * (no p-value) stays NaN and does not count in m.
   */
  public static double[] holm(double[] p) {
    double[] adjusted = new double[p.length];
    Arrays.fill(adjusted, Double.NaN);
    Integer[] order = IntStream.range(0, p.length).filter(i -> !Double.isNaN(p[i])).boxed()
        .sorted(Comparator.comparingDouble(i -> p[i])).toArray(Integer[]::new);
    int m = order.length;
    double running = 0;
    for (int j = 0; j < m; j++) {
      double raw = p[order[j]];
      if (raw < 0 || raw > 1) {
        throw new IllegalArgumentException("p-value " + raw + " is not in [0, 1]");
      }
      running = Math.max(running, Math.min(1.0, (m - j) * raw));
      adjusted[order[j]] = running;
    }
    return adjusted;
  }

  /**
   * The exact (binomial) McNemar test on {@code b} pairs where only the first system is right
   * and {@code c} where only the second is: under H0 each discordant pair is either kind with
   * probability 1/2, so p = min(1, 2 * P(X &lt;= min(b, c))) with X ~ Binomial(b + c, 1/2); 1
   * when there is no discordant pair. The binomial coefficients are summed as whole numbers
   * (exact while below 2^53) scaled by powers of two, and divided by 2^(b+c) last, so a large
   * b + c neither overflows nor underflows early (2^-(b+c) alone would for b + c over 1074); a
   * p-value below the smallest double is 0.
   */
  public static McNemar mcnemar(long b, long c) {
    if (b < 0 || c < 0) {
      throw new IllegalArgumentException("discordant counts must be >= 0, got " + b + ", " + c);
    }
    long n = b + c;
    long k = Math.min(b, c);
    if (n == 0 || 2 * k >= n) {
      return new McNemar(b, c, 1.0); // P(X <= n/2) >= 1/2: the doubled tail is 1 or more
    }
    // sum of C(n, i), i = 0..k, as sum * 2^scale: C(n, i) = C(n, i-1) * (n-i+1) / i stays a
    // whole number, exact while below 2^53 (multiplied first); past 2^500 both are scaled down
    // by 2^500, exactly, so no term overflows; 2 * sum / 2^n is one last exact-or-rounded scalb
    double term = 1;
    double sum = 1;
    long scale = 0;
    for (long i = 1; i <= k; i++) {
      term = term * (n - i + 1) / i;
      sum += term;
      if (term > 0x1p500) {
        term = Math.scalb(term, -500);
        sum = Math.scalb(sum, -500);
        scale += 500;
      }
    }
    // sum < 2^(n - scale + 1): past -3000 the result is 0 either way, and the int cannot overflow
    double p = Math.scalb(sum, (int) Math.max(scale + 1 - n, -3000));
    return new McNemar(b, c, Math.min(1.0, p));
  }
}
