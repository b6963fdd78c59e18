import io.finmix.model.config.ModelConfig;
import io.finmix.model.infer.Generator;
import io.finmix.model.infer.Scorer;
import io.finmix.model.nn.Decoder;
import io.finmix.model.tokenizer.TextTokenizer;
import io.finmix.model.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The single-process half of bench/eval-throughput/run: eval rows per second of the two scoring
 * modes of `finmix evaluate` on a preset's model (random weights: speed does not depend on
 * them), on the same FPB-style prompts (a sentiment instruction, a generated sentence,
 * "Answer:"), encoded by the bytes tokenizer or a tokenizer.json: rank classification (3
 * choices, one Scorer pass per batch) and greedy generation (max_new_tokens, no stop: every row
 * generates all of them, the worst case), each at batch 1 and batch B. Progress to stderr;
 * the table to stdout.
 *
 * <pre>java -cp model/target/classes:CP bench/eval-throughput/EvalThroughput.java
 *     [--preset small] [--rows 32] [--batch 8] [--new 8] [--tokenizer bytes|FILE]
 *     [--seq 512]</pre>
 */
public class EvalThroughput {

  public static void main(String[] args) throws Exception {
    String preset = "small";
    String tokenizerSpec = "bytes";
    int rows = 32;
    int batch = 8;
    int newTokens = 8;
    int seq = 512;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--preset" -> preset = args[i + 1];
        case "--rows" -> rows = Integer.parseInt(args[i + 1]);
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--new" -> newTokens = Integer.parseInt(args[i + 1]);
        case "--tokenizer" -> tokenizerSpec = args[i + 1];
        case "--seq" -> seq = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    TextTokenizer tok = Tokenizers.load(tokenizerSpec);
    ModelConfig config = ModelConfig.preset(Path.of("conf/models.conf"), preset)
        .withVocabSize(tok.vocabSize());
    long t0 = System.nanoTime();
    Decoder model = new Decoder(config, 1);
    System.err.printf(Locale.ROOT, "eval-throughput: %s built in %.1f s%n", preset,
        (System.nanoTime() - t0) / 1e9);
    String[] companies = {"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark"};
    String[] verbs = {"rose", "fell", "was flat", "jumped", "slipped", "held steady"};
    Random rnd = new Random(7);
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      String text = companies[rnd.nextInt(companies.length)] + " said net sales "
          + verbs[rnd.nextInt(verbs.length)] + " " + (1 + rnd.nextInt(40))
          + " percent in the quarter, compared with the same period a year earlier.";
      prompts.add(tok.encode("What is the sentiment of this financial text? Answer with one of: "
          + "negative, neutral, positive.\n\nText: " + text + "\nAnswer:"));
    }
    List<int[]> choices = List.of(tok.encode(" negative"), tok.encode(" neutral"),
        tok.encode(" positive"));
    double meanPrompt = prompts.stream().mapToInt(p -> p.length).average().orElse(0);
    System.err.printf(Locale.ROOT, "eval-throughput: %d rows, prompts of %.0f tokens on average%n",
        rows, meanPrompt);
    // one untimed round of each, so graph set-up is not counted
    rank(model, prompts.subList(0, Math.min(batch, rows)), choices, batch, seq);
    generate(model, tok, prompts.subList(0, Math.min(batch, rows)), batch, newTokens);
    List<String> lines = new ArrayList<>();
    double[] rates = new double[4];
    int k = 0;
    for (String mode : List.of("rank", "generate")) {
      for (int b : List.of(1, batch)) {
        long start = System.nanoTime();
        if (mode.equals("rank")) {
          rank(model, prompts, choices, b, seq);
        } else {
          generate(model, tok, prompts, b, newTokens);
        }
        double s = (System.nanoTime() - start) / 1e9;
        rates[k++] = rows / s;
        lines.add(String.format(Locale.ROOT, "%-9s batch %-3d %8.2f rows/s  %7.1f ms/row", mode,
            b, rows / s, 1000 * s / rows));
        System.err.println("eval-throughput: " + lines.get(lines.size() - 1));
      }
    }
    System.out.printf(Locale.ROOT, "%s, %d rows, %.0f-token prompts, 3 choices, %d new tokens, "
        + "%s threads%n", preset, rows, meanPrompt, newTokens,
        System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
    lines.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "batch %d vs 1: rank %.2fx, generate %.2fx; rank vs generate "
        + "at batch %d: %.2fx%n", batch, rates[1] / rates[0], rates[3] / rates[2], batch,
        rates[1] / rates[3]);
  }

  static void rank(Decoder model, List<int[]> prompts, List<int[]> choices, int batch, int seq) {
    Scorer scorer = new Scorer(model, seq, batch);
    for (int from = 0; from < prompts.size(); from += batch) {
      List<int[]> part = prompts.subList(from, Math.min(prompts.size(), from + batch));
      List<List<int[]>> cands = new ArrayList<>();
      part.forEach(p -> cands.add(choices));
      scorer.score(part, cands);
    }
  }

  static void generate(Decoder model, TextTokenizer tok, List<int[]> prompts, int batch,
      int newTokens) {
    Generator g = new Generator(model, tok::decode);
    for (int from = 0; from < prompts.size(); from += batch) {
      g.generate(prompts.subList(from, Math.min(prompts.size(), from + batch)),
          Generator.Settings.greedy(newTokens, -1));
    }
  }
}
