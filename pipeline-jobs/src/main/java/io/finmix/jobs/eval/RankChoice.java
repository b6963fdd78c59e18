package io.finmix.jobs.eval;

/** Picks the answer of a multiple-choice item from per-choice scores (e.g. log-likelihoods). */
public final class RankChoice {

  private RankChoice() {}

  /**
   * The index of the highest score. Ties go to the lowest index, the first choice in the
   * benchmark's order, so that the pick never depends on floating-point noise in the sort. A NaN
   * score never wins; when every score is NaN there is nothing to rank and the answer is 0.
   *
   * @throws IllegalArgumentException when there are no scores
   */
  public static int best(double[] scores) {
    if (scores == null || scores.length == 0) {
      throw new IllegalArgumentException("no scores to rank");
    }
    int best = -1;
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        continue;
      }
      // Strictly greater: an equal score later in the list does not displace the earlier one.
      if (best < 0 || scores[i] > scores[best]) {
        best = i;
      }
    }
    return Math.max(best, 0);
  }
}
