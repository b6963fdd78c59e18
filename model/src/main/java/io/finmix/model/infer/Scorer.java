package io.finmix.model.infer;

import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Log-likelihoods of candidate continuations given a prompt, for rank classification: each
 * (prompt, candidate) pair is one sequence, and pairs are packed side by side into rows of
 * {@code rowLength} tokens (attention stays inside each pair), {@code rowsPerPass} rows per
 * forward pass. A prompt too long for a row keeps its last tokens.
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
    List<int[]> seqs = new ArrayList<>();
    List<Integer> answerLen = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      for (int[] cand : candidates.get(i)) {
        if (cand.length == 0 || cand.length >= rowLength || prompts.get(i).length == 0) {
          throw new IllegalArgumentException("prompt " + i + ": a candidate of " + cand.length
              + " tokens after a prompt of " + prompts.get(i).length + " cannot be scored in "
              + "rows of " + rowLength);
        }
        int[] p = prompts.get(i);
        int keep = Math.min(p.length, rowLength - cand.length);
        int[] s = new int[keep + cand.length];
        System.arraycopy(p, p.length - keep, s, 0, keep);
        System.arraycopy(cand, 0, s, keep, cand.length);
        seqs.add(s);
        answerLen.add(cand.length);
      }
    }
    double[] ll = new double[seqs.size()];
    // first-fit into rows, in order; a pass takes rowsPerPass rows
    List<List<Integer>> rows = new ArrayList<>();
    List<Integer> used = new ArrayList<>();
    for (int k = 0; k < seqs.size(); k++) {
      int r = 0;
      while (r < rows.size() && used.get(r) + seqs.get(k).length > rowLength) {
        r++;
      }
      if (r == rows.size()) {
        rows.add(new ArrayList<>());
        used.add(0);
      }
      rows.get(r).add(k);
      used.set(r, used.get(r) + seqs.get(k).length);
    }
    for (int from = 0; from < rows.size(); from += rowsPerPass) {
      List<List<Integer>> pass = rows.subList(from, Math.min(rows.size(), from + rowsPerPass));
      int n = pass.size();
      List<List<int[]>> packed = pass.stream().map(row -> row.stream().map(seqs::get).toList())
          .toList();
      INDArray losses = model.tokenLosses(Batch.ofPackedExamples(packed, rowLength,
          (row, example) -> {
            int k = pass.get(row).get(example);
            return seqs.get(k).length - answerLen.get(k);
          }));
      for (int r = 0; r < n; r++) {
        int at = 0;
        for (int k : pass.get(r)) {
          double sum = 0;
          for (int i = 0; i < seqs.get(k).length; i++, at++) {
            sum += losses.getDouble(r, at);
          }
          ll[k] = -sum;
        }
      }
    }
    List<List<Choice>> out = new ArrayList<>();
    int k = 0;
    for (List<int[]> cands : candidates) {
      List<Choice> choices = new ArrayList<>();
      for (int j = 0; j < cands.size(); j++, k++) {
        choices.add(new Choice(ll[k], answerLen.get(k)));
      }
      out.add(choices);
    }
    return out;
  }
}
