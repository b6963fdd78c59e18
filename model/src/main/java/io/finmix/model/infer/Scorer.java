package io.finmix.model.infer;

import io.finmix.model.nn.Kernels;
import io.finmix.model.nn.KvCache;
import io.finmix.model.nn.Decoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Log-likelihoods of candidate continuations given a prompt, for rank classification. Each
 * prompt is read once, into a {@link KvCache}: its last logits score every candidate's first
 * token, and a candidate of several tokens continues from a copy of the prompt's cache, so a
 * prompt is never read again for each of its choices. {@code rowsPerPass} prompts go through
 * the model together; a prompt too long for {@code rowLength} tokens with its longest candidate
 * keeps its last tokens.
 */
public final class Scorer {

  /** The summed log-probability of a candidate's tokens, and how many there are. */
  public record Choice(double logLikelihood, int tokens) {

    /** Per-token log-likelihood (length normalised). */
    public double perToken() {
      return tokens == 0 ? 0 : logLikelihood / tokens;
    }
  }

  private final Decoder model;
  private final int rowLength;
  private final int rowsPerPass;

  public Scorer(Decoder model, int rowLength, int rowsPerPass) {
    if (rowLength < 2 || rowsPerPass < 1) {
      throw new IllegalArgumentException("row length " + rowLength + " and rows per pass "
          + rowsPerPass + " must be at least 2 and 1");
    }
    this.model = model;
    this.rowLength = rowLength;
    this.rowsPerPass = rowsPerPass;
  }

  /**
   * For each prompt {@code i}, the log-likelihood of each of {@code candidates.get(i)}, in order.
   *
   * @throws IllegalArgumentException when a candidate is empty or leaves no room for a prompt
   *     token in a row
   */
  public List<List<Choice>> score(List<int[]> prompts, List<List<int[]>> candidates) {
    if (prompts.size() != candidates.size()) {
      throw new IllegalArgumentException(prompts.size() + " prompts but " + candidates.size()
          + " candidate lists");
    }
    List<int[]> kept = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      int longest = 0;
      for (int[] cand : candidates.get(i)) {
        if (cand.length == 0 || cand.length >= rowLength || prompts.get(i).length == 0) {
          throw new IllegalArgumentException("prompt " + i + ": a candidate of " + cand.length
              + " tokens after a prompt of " + prompts.get(i).length + " cannot be scored in "
              + "rows of " + rowLength);
        }
        longest = Math.max(longest, cand.length);
      }
      int[] p = prompts.get(i);
      int keep = Math.min(p.length, rowLength - longest);
      kept.add(Arrays.copyOfRange(p, p.length - keep, p.length));
    }
    List<List<Choice>> out = new ArrayList<>();
    for (int from = 0; from < prompts.size(); from += rowsPerPass) {
      int to = Math.min(prompts.size(), from + rowsPerPass);
      out.addAll(pass(kept.subList(from, to), candidates.subList(from, to)));
    }
    return out;
  }

  /** One pass: the prompts read together, then every longer candidate's continuation. */
  private List<List<Choice>> pass(List<int[]> prompts, List<List<int[]>> candidates) {
    int n = prompts.size();
    int slots = n;
    for (List<int[]> cands : candidates) {
      for (int[] c : cands) {
        slots += c.length > 1 ? 1 : 0;
      }
    }
    double[][] ll = new double[n][];
    try (KvCache cache = model.newCache(slots, rowLength)) {
      int[] promptSlots = new int[n];
      int[] ones = new int[n];
      for (int i = 0; i < n; i++) {
        promptSlots[i] = i;
        ones[i] = 1;
      }
      INDArray last = model.extend(cache, promptSlots, prompts, ones);
      List<int[]> continuations = new ArrayList<>();
      List<int[]> owners = new ArrayList<>(); // {prompt, candidate}
      for (int i = 0; i < n; i++) {
        double[] row = logSoftmax(last.getRow(i));
        ll[i] = new double[candidates.get(i).size()];
        for (int j = 0; j < ll[i].length; j++) {
          int[] cand = candidates.get(i).get(j);
          ll[i][j] = row[cand[0]];
          if (cand.length > 1) {
            cache.copy(i, n + continuations.size());
            continuations.add(Arrays.copyOf(cand, cand.length - 1));
            owners.add(new int[] {i, j});
          }
        }
      }
      if (!continuations.isEmpty()) {
        int[] contSlots = new int[continuations.size()];
        int[] wanted = new int[continuations.size()];
        for (int k = 0; k < contSlots.length; k++) {
          contSlots[k] = n + k;
          wanted[k] = continuations.get(k).length;
        }
        INDArray logits = model.extend(cache, contSlots, continuations, wanted);
        int r = 0;
        for (int k = 0; k < contSlots.length; k++) {
          int[] o = owners.get(k);
          int[] cand = candidates.get(o[0]).get(o[1]);
          for (int t = 1; t < cand.length; t++, r++) {
            ll[o[0]][o[1]] += logSoftmax(logits.getRow(r))[cand[t]];
          }
        }
      }
    }
    List<List<Choice>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Choice> choices = new ArrayList<>();
      for (int j = 0; j < ll[i].length; j++) {
        choices.add(new Choice(ll[i][j], candidates.get(i).get(j).length));
      }
      out.add(choices);
    }
    return out;
  }

  /** log softmax of a row of logits (the JIT-vectorised exp of the model's kernels). */
  private static double[] logSoftmax(INDArray logits) {
    float[] x = logits.toFloatVector();
    float max = Kernels.max(x, 0, x.length);
    float[] e = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      e[i] = x[i] - max;
    }
    Kernels.exp(e, 0, e.length, new float[e.length]);
    double lse = max + Math.log(Kernels.sum(e, 0, e.length));
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] - lse;
    }
    return out;
  }
}
