package io.finmix.jobs.eval;

import io.finmix.jobs.core.JavaBytes;
import io.finmix.jobs.core.StableHash;
import io.finmix.jobs.core.WorkerModels;
import io.finmix.jobs.task.AnswerParser;
import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Benchmarks.Kind;
import io.finmix.jobs.task.PromptTemplates;
import io.finmix.model.infer.Generator;
import io.finmix.model.infer.Scorer;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.nn.Decoder;
import io.finmix.model.tokenizer.ExampleEncoder;
import io.finmix.model.train.Trainer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * Scores one partition of eval rows with one checkpoint, on an executor: the model is made
 * once per JVM and checkpoint ({@link WorkerModels}), the rows are taken a batch at a time per
 * benchmark, and each row gives one prediction per scoring mode (rank_raw and rank_norm from
 * the same choice log-likelihoods; generate from a greedy generation, parsed).
 */
final class BenchmarkScorer implements Serializable {

  /** The eval rows' columns, in this order ({@link EvaluateJob#evalRows}). */
  static final String[] COLUMNS = {"benchmark", "split", "record_id", "source", "task", "label",
      "instruction", "input", "output", "choices"};

  private final Map<String, Benchmark> benchmarks;
  private final Map<String, String> demonstrations;
  private final PromptTemplates templates;
  private final ExampleEncoder.Spec encoder;
  private final int seqLen;
  private final int batchSize;
  private final String runId;
  private final String trainRun;
  private final long step;
  private final String checkpointDir;
  private final Broadcast<byte[]> checkpoint;

  BenchmarkScorer(Map<String, Benchmark> benchmarks, Map<String, String> demonstrations,
      PromptTemplates templates, ExampleEncoder.Spec encoder, int seqLen, int batchSize,
      String runId, String trainRun, long step, String checkpointDir,
      Broadcast<byte[]> checkpoint) {
    this.benchmarks = benchmarks;
    this.demonstrations = demonstrations;
    this.templates = templates;
    this.encoder = encoder;
    this.seqLen = seqLen;
    this.batchSize = batchSize;
    this.runId = runId;
    this.trainRun = trainRun;
    this.step = step;
    this.checkpointDir = checkpointDir;
    this.checkpoint = checkpoint;
  }

  /** One eval row, prompted. */
  private record Item(Benchmark benchmark, String split, String recordId, String prompt,
      String gold, List<String> choices, List<String> answers) {}

  /** The prediction rows of a partition's eval rows (sorted by benchmark). */
  Iterator<Row> score(Iterator<Row> rows) {
    List<Row> out = new ArrayList<>();
    if (!rows.hasNext()) {
      return out.iterator();
    }
    // Models are kept per architecture (config and adapters), so the checkpoints of one run,
    // and the runs of one preset, reuse the graph; the weights are set for each partition.
    Checkpoint ck = JavaBytes.read(checkpoint.value());
    String key = "eval " + ck.config().toJson() + " " + ck.state().get(Trainer.LORA);
    Decoder model = WorkerModels.borrow(key, () -> Trainer.newModel(ck, 0));
    try {
      Trainer.loadWeights(ck, model);
      ExampleEncoder enc = ExampleEncoder.load(encoder);
      List<Item> batch = new ArrayList<>();
      while (rows.hasNext()) {
        Item item = item(rows.next());
        if (!batch.isEmpty() && (batch.size() == batchSize
            || !batch.get(0).benchmark().name().equals(item.benchmark().name()))) {
          scoreBatch(model, enc, batch, out);
          batch.clear();
        }
        batch.add(item);
      }
      scoreBatch(model, enc, batch, out);
    } finally {
      WorkerModels.giveBack(key, model);
    }
    return out.iterator();
  }

  private Item item(Row r) {
    Benchmark b = benchmarks.get(r.getString(0));
    List<String> choices = b.choicesOf(r.isNullAt(9) ? null : r.getList(9));
    String task = b.templateOf(r.getString(4));
    Map<String, String> fields = PromptTemplates.fields(r.getString(3), task, r.getString(5),
        r.getString(6), r.getString(7), r.getString(8), choices);
    PromptTemplates.Template t = templates.of(b.template(), r.getString(3), r.getString(4));
    String prompt = demonstrations.getOrDefault(b.name(), "")
        + templates.render(t, b.instructionVariant(), fields).prompt();
    List<String> answers = new ArrayList<>();
    if (b.kind() == Kind.CLASSIFICATION && choices.isEmpty()) {
      throw new io.finmix.jobs.core.UserError("benchmark " + b.name() + ": record "
          + r.getString(2) + " has no choices; set choices in the benchmarks file");
    }
    if (b.kind() == Kind.CLASSIFICATION) {
      for (String c : choices) {
        fields.put("label", c);
        fields.put("output", c);
        answers.add(templates.render(t, b.instructionVariant(), fields).answer());
      }
    }
    String gold = b.kind() == Kind.ENTITIES || r.isNullAt(5) ? r.getString(8) : r.getString(5);
    gold = gold == null ? "" : gold;
    for (String c : choices) {
      if (c.equalsIgnoreCase(gold)) {
        gold = c; // spelled as the choice, so accuracy and the F1 scores agree on it
      }
    }
    return new Item(b, r.getString(1), r.getString(2), prompt, gold, choices, answers);
  }

  private void scoreBatch(Decoder model, ExampleEncoder enc, List<Item> batch, List<Row> out) {
    if (batch.isEmpty()) {
      return;
    }
    Benchmark b = batch.get(0).benchmark();
    List<int[]> prompts = new ArrayList<>();
    for (Item item : batch) {
      prompts.add(enc.encode(item.prompt(), "").prompt());
    }
    if (b.ranks()) {
      rank(model, enc, batch, prompts, out);
    }
    if (b.generates()) {
      generate(model, enc, batch, prompts, out);
    }
  }

  private void rank(Decoder model, ExampleEncoder enc, List<Item> batch, List<int[]> prompts,
      List<Row> out) {
    List<List<int[]>> candidates = new ArrayList<>();
    for (Item item : batch) {
      List<int[]> cands = new ArrayList<>();
      for (String answer : item.answers()) {
        cands.add(withoutEos(enc.encode(item.prompt(), answer).answer(),
            enc.tokenizer().eosId()));
      }
      candidates.add(cands);
    }
    List<List<Scorer.Choice>> scored = new Scorer(model, seqLen, batchSize)
        .score(prompts, candidates);
    for (int i = 0; i < batch.size(); i++) {
      Item item = batch.get(i);
      List<Scorer.Choice> choices = scored.get(i);
      int longest = candidates.get(i).stream().mapToInt(c -> c.length).max().orElse(0);
      boolean truncated = prompts.get(i).length + longest > seqLen;
      int seen = Math.min(prompts.get(i).length, seqLen - longest);
      double[] raw = choices.stream().mapToDouble(Scorer.Choice::logLikelihood).toArray();
      double[] norm = choices.stream().mapToDouble(Scorer.Choice::perToken).toArray();
      Integer[] tokens = choices.stream().map(Scorer.Choice::tokens).toArray(Integer[]::new);
      for (String mode : List.of("rank_raw", "rank_norm")) {
        double[] ll = mode.equals("rank_raw") ? raw : norm;
        String best = item.choices().get(RankChoice.best(ll));
        out.add(row(item, mode, seen, truncated, best, best, best.equals(item.gold()), boxed(ll),
            tokens));
      }
    }
  }

  private void generate(Decoder model, ExampleEncoder enc, List<Item> batch,
      List<int[]> prompts, List<Row> out) {
    Benchmark b = batch.get(0).benchmark();
    int keep = Math.max(1, seqLen - b.maxNewTokens());
    List<int[]> cut = new ArrayList<>();
    for (int[] p : prompts) {
      cut.add(p.length > keep ? Arrays.copyOfRange(p, p.length - keep, p.length) : p);
    }
    List<Generator.Generation> made = new Generator(model, enc.tokenizer()::decode)
        .generate(cut, Generator.Settings.greedy(b.maxNewTokens(), enc.tokenizer().eosId(),
            b.stop().toArray(new String[0])));
    for (int i = 0; i < batch.size(); i++) {
      Item item = batch.get(i);
      String text = made.get(i).text();
      String prediction;
      boolean correct;
      switch (b.kind()) {
        case CLASSIFICATION -> {
          prediction = AnswerParser.firstLabel(text, item.choices());
          correct = prediction != null && prediction.equals(item.gold());
        }
        case NUMERIC -> {
          AnswerParser.ParsedNumber n = AnswerParser.number(text);
          Double gold = AnswerParser.goldNumber(item.gold());
          prediction = n == null ? null : AnswerParser.canonical(n);
          correct = n != null && gold != null && AnswerParser.numberMatches(n, gold);
        }
        default -> {
          Set<String> entities = AnswerParser.entities(text);
          prediction = entities.isEmpty() ? null : text.strip();
          correct = !entities.isEmpty() && entities.equals(AnswerParser.entities(item.gold()));
        }
      }
      out.add(row(item, "generate", cut.get(i).length, cut.get(i).length < prompts.get(i).length,
          text, prediction, correct, null, null));
    }
  }

  private Row row(Item item, String mode, int promptTokens, boolean truncated, String output,
      String prediction, boolean correct, Double[] lls, Integer[] tokens) {
    boolean ranked = lls != null;
    return RowFactory.create(runId, trainRun, step, checkpointDir, item.benchmark().name(),
        item.split(), item.recordId(), mode, demonstrationCount(item.benchmark()),
        promptHash(item.prompt()), promptTokens, truncated, output, prediction, item.gold(),
        correct, ranked ? item.choices().toArray(new String[0]) : null, lls, tokens);
  }

  private int demonstrationCount(Benchmark b) {
    return demonstrations.containsKey(b.name()) ? b.kShot() : 0;
  }

  /** 16 hex chars of the SHA-256 of a prompt: the same prompt text, the same hash. */
  static String promptHash(String prompt) {
    return StableHash.hex128(prompt).substring(0, 16);
  }

  private static int[] withoutEos(int[] ids, int eos) {
    int n = ids.length;
    while (n > 1 && ids[n - 1] == eos) {
      n--;
    }
    return n == ids.length ? ids : Arrays.copyOf(ids, n);
  }

  private static Double[] boxed(double[] xs) {
    return Arrays.stream(xs).boxed().toArray(Double[]::new);
  }

  /** The schema of the rows {@link #score} makes: eval.predictions' columns. */
  static StructType schema() {
    return io.finmix.schemas.TableSchemas.load("eval.predictions").schema();
  }
}
