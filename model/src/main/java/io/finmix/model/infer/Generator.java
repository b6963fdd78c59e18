package io.finmix.model.infer;

import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.nn.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Text generation from prompts, batched: greedy (temperature 0) or sampled at a temperature
 * from a seeded generator, until the end-of-sequence token, a stop string (the text is cut
 * before it), {@code maxNewTokens}, or the model's longest sequence (learned positions). The
 * prompts are read once into a {@link KvCache}, then each step reads one new token per open
 * sequence.
 */
public final class Generator {

  /** How to generate. {@code temperature} 0 is greedy; {@code eosId} -1: none. */
  public record Settings(int maxNewTokens, double temperature, long seed, List<String> stop,
      int eosId) {

    public Settings {
      if (maxNewTokens < 1) {
        throw new IllegalArgumentException("max_new_tokens = " + maxNewTokens
            + " must be positive");
      }
      if (!(temperature >= 0)) {
        throw new IllegalArgumentException("temperature = " + temperature + " must be >= 0");
      }
      stop = List.copyOf(stop);
    }

    public static Settings greedy(int maxNewTokens, int eosId, String... stop) {
      return new Settings(maxNewTokens, 0, 0, List.of(stop), eosId);
    }
  }

  /** Why generation ended. */
  public enum Finish { EOS, STOP, LENGTH }

  /** The generated tokens (eos and tokens past a stop string excluded) and their text. */
  public record Generation(int[] tokens, String text, Finish finish) {}

  private final Decoder model;
  private final Function<int[], String> decode;
  private final boolean cached;

  /** {@code decode}: token ids to text, as the tokenizer decodes them. */
  public Generator(Decoder model, Function<int[], String> decode) {
    this(model, decode, true);
  }

  /**
   * {@code cached} false: every step reads each whole sequence again (no key/value cache), the
   * reference the cached generation is tested against.
   */
  Generator(Decoder model, Function<int[], String> decode, boolean cached) {
    this.model = model;
    this.decode = decode;
    this.cached = cached;
  }

  public List<Generation> generate(List<int[]> prompts, Settings s) {
    int n = prompts.size();
    Generation[] out = new Generation[n];
    List<List<Integer>> made = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (prompts.get(i).length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty");
      }
      made.add(new ArrayList<>());
    }
    Random rng = new Random(s.seed());
    int limit = model.config().positions() == Positions.LEARNED ? model.config().maxSeqLen()
        : Integer.MAX_VALUE;
    List<Integer> open = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      open.add(i);
    }
    int longest = 0;
    for (int[] p : prompts) {
      longest = Math.max(longest, p.length);
    }
    try (KvCache cache = cached ? model.newCache(n, longest + s.maxNewTokens()) : null) {
      INDArray logits = cached ? model.extend(cache, ints(open), prompts, ones(n)) : null;
      while (!open.isEmpty()) {
        if (!cached) {
          logits = lastLogits(prompts, made, open);
        }
        List<Integer> still = new ArrayList<>();
        for (int r = 0; r < open.size(); r++) {
          int i = open.get(r);
          int next = pick(logits.getRow(r).toDoubleVector(), s.temperature(), rng);
          List<Integer> toks = made.get(i);
          if (next == s.eosId()) {
            out[i] = new Generation(ints(toks), decode.apply(ints(toks)), Finish.EOS);
            continue;
          }
          toks.add(next);
          String text = decode.apply(ints(toks));
          int cut = firstStop(text, s.stop());
          if (cut >= 0) {
            out[i] = new Generation(trimToText(toks, text.substring(0, cut)),
                text.substring(0, cut), Finish.STOP);
          } else if (toks.size() >= s.maxNewTokens()
              || prompts.get(i).length + toks.size() >= limit) {
            out[i] = new Generation(ints(toks), text, Finish.LENGTH);
          } else {
            still.add(i);
          }
        }
        open = still;
        if (cached && !open.isEmpty()) {
          List<int[]> next = new ArrayList<>();
          for (int i : open) {
            next.add(new int[] {made.get(i).get(made.get(i).size() - 1)});
          }
          logits = model.extend(cache, ints(open), next, ones(open.size()));
        }
      }
    }
    return Arrays.asList(out);
  }

  /** Without a cache: every open sequence read whole, the logits of its last token. */
  private INDArray lastLogits(List<int[]> prompts, List<List<Integer>> made, List<Integer> open) {
    int width = 0;
    for (int i : open) {
      width = Math.max(width, prompts.get(i).length + made.get(i).size());
    }
    List<List<int[]>> batch = new ArrayList<>();
    int[] last = new int[open.size()];
    for (int r = 0; r < open.size(); r++) {
      int[] seq = sequence(prompts.get(open.get(r)), made.get(open.get(r)));
      batch.add(List.of(seq));
      last[r] = seq.length - 1;
    }
    INDArray logits = model.logits(Batch.ofPackedExamples(batch, width));
    INDArray out = Nd4j.create(logits.dataType(), open.size(), logits.size(2));
    for (int r = 0; r < open.size(); r++) {
      out.putRow(r, logits.get(NDArrayIndex.point(r), NDArrayIndex.point(last[r]),
          NDArrayIndex.all()));
    }
    return out;
  }

  private static int[] ones(int n) {
    int[] out = new int[n];
    Arrays.fill(out, 1);
    return out;
  }

  /** The shortest prefix of {@code toks} whose text covers {@code text}. */
  private int[] trimToText(List<Integer> toks, String text) {
    for (int k = 0; k <= toks.size(); k++) {
      if (decode.apply(ints(toks.subList(0, k))).length() >= text.length()) {
        return ints(toks.subList(0, k));
      }
    }
    return ints(toks);
  }

  static int firstStop(String text, List<String> stops) {
    int cut = -1;
    for (String stop : stops) {
      int at = stop.isEmpty() ? -1 : text.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    return cut;
  }

  /** argmax at temperature 0 (lowest id on ties), else a draw from softmax(logits / t). */
  static int pick(double[] logits, double temperature, Random rng) {
    int best = 0;
    for (int v = 1; v < logits.length; v++) {
      if (logits[v] > logits[best]) {
        best = v;
      }
    }
    if (temperature == 0) {
      return best;
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int v = 0; v < logits.length; v++) {
      p[v] = Math.exp((logits[v] - logits[best]) / temperature);
      sum += p[v];
    }
    double u = rng.nextDouble() * sum;
    for (int v = 0; v < p.length; v++) {
      u -= p[v];
      if (u < 0) {
        return v;
      }
    }
    return best;
  }

  private static int[] sequence(int[] prompt, List<Integer> made) {
    int[] seq = Arrays.copyOf(prompt, prompt.length + made.size());
    for (int k = 0; k < made.size(); k++) {
      seq[prompt.length + k] = made.get(k);
    }
    return seq;
  }

  private static int[] ints(List<Integer> xs) {
    return xs.stream().mapToInt(Integer::intValue).toArray();
  }
}
