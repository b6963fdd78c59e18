package io.finmix.jobs.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.Indexed;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.tokens.ExampleEncoders;
import io.finmix.model.tokenizer.ExampleEncoder;
import io.finmix.model.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The tokenize stage: each recipe's mixture tokenized (prompt, answer, end of sequence; the loss
 * mask on the answer) and packed best-fit-decreasing into sequences of seq_len, with segment
 * ids and positions restarting at every packed example, into {@code finmix.train.sequences}.
 */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
        "Tokenizes finmix.corpus.mixtures and packs it into fixed-length training sequences.",
        "Output: finmix.train.sequences (partitioned by run_id, recipe, tokenizer_id, seq_len)."
    })
public final class TokenizeJob extends StageCommand {

  static final StructType EXAMPLES = new StructType()
      .add("position", DataTypes.LongType, false)
      .add("record_id", DataTypes.StringType, false)
      .add("ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
      .add("mask", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
      .add("length", DataTypes.IntegerType, false)
      .add("status", DataTypes.StringType, false);

  @ConfigKey("tokenize.tokenizer")
  @Option(names = "--tokenizer", paramLabel = "SPEC",
      description = "bytes, or the path of a tokenizer.json (tokenize.tokenizer).")
  String tokenizer;

  @ConfigKey("tokenize.seq_len")
  @Option(names = "--seq-len", paramLabel = "N",
      description = "Sequence length (tokenize.seq_len).")
  Integer seqLen;

  @ConfigKey("tokenize.format")
  @Option(names = "--format", paramLabel = "FORMAT",
      description = "plain, or chat: the tokenizer's chat template (tokenize.format).")
  String format;

  @ConfigKey("tokenize.only")
  @Option(names = "--recipe", paramLabel = "NAME", split = ",",
      description = "Tokenize only these recipes (tokenize.only).")
  List<String> only;

  public static void main(String[] args) {
    Commands.main(new TokenizeJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = tokenize(session(config, "tokenize"), config);
    result.print(System.out);
    return 0;
  }

  /** Per recipe: examples, drops, sequences and packing efficiency. */
  public record Result(String tokenizerId, int seqLen, Map<String, Map<String, Object>> byRecipe,
      String report) implements StageResult {

    public void print(PrintStream out) {
      out.printf("tokenizer %s, seq_len %d%n", tokenizerId, seqLen);
      out.printf("%-24s %9s %9s %9s %10s %11s%n", "recipe", "examples", "truncated", "dropped",
          "sequences", "efficiency");
      byRecipe.forEach((recipe, r) -> out.printf(Locale.ROOT, "%-24s %9d %9d %9d %10d %10.2f%%%n",
          recipe, r.get("examples"), r.get("truncated"), r.get("dropped"), r.get("sequences"),
          100 * (double) r.get("efficiency")));
      out.println("report: " + report);
      out.flush();
    }
  }

  /**
   * The {@code tokenize} section of the config, read and checked in one place.
   *
   * @param encoder the tokenizer and prompt format (tokenize.tokenizer, tokenize.chat_template)
   * @param seqLen the packed sequences' length (at least 8)
   * @param lossOnAll loss on prompt and answer (loss_on = all), else on the answer only
   * @param truncatePrompt an overlong example's prompt is cut from the left, else it is dropped
   * @param only the recipes to tokenize; empty: every mixture of the run
   */
  record Settings(ExampleEncoder.Spec encoder, int seqLen, boolean lossOnAll,
      boolean truncatePrompt, List<String> only) implements java.io.Serializable {

    static Settings of(FinmixConfig config) {
      var c = config.config();
      int seqLen = c.getInt("tokenize.seq_len");
      if (seqLen < 8) {
        throw new UserError("tokenize.seq_len: " + seqLen + " is too short (at least 8)");
      }
      String lossOn = c.getString("tokenize.loss_on");
      if (!List.of("answer", "all").contains(lossOn)) {
        throw new UserError("tokenize.loss_on: '" + lossOn + "' is not answer or all");
      }
      String overlong = c.getString("tokenize.overlong");
      if (!List.of("truncate_prompt", "drop").contains(overlong)) {
        throw new UserError("tokenize.overlong: '" + overlong + "' is not truncate_prompt or drop");
      }
      return new Settings(ExampleEncoders.spec(config, c.getString("tokenize.tokenizer")), seqLen,
          lossOn.equals("all"), overlong.equals("truncate_prompt"),
          List.copyOf(c.getStringList("tokenize.only")));
    }

    String tokenizer() {
      return encoder.tokenizer();
    }
  }

  /** Tokenizes the run's mixtures and packs them into finmix.train.sequences. */
  public static Result tokenize(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "tokenize", steps -> tokenize(spark, config, steps));
  }

  private static Result tokenize(SparkSession spark, FinmixConfig config, Steps steps) {
    String runId = config.runId();
    Settings s = Settings.of(config);
    ExampleEncoder encoder = ExampleEncoders.load(s.encoder(), s.encoder().chat()
        ? "tokenize.tokenizer / tokenize.chat_template" : "tokenize.tokenizer");
    TextTokenizer local = encoder.tokenizer();
    String tokenizerId = encoder.id();
    Dataset<Row> mixtures = TableWriter.runRows(spark, "corpus.mixtures", runId);
    List<String> recipes = new ArrayList<>();
    mixtures.select("recipe").distinct().orderBy("recipe").collectAsList()
        .forEach(r -> recipes.add(r.getString(0)));
    if (recipes.isEmpty()) {
      throw new UserError("no rows for run " + runId + " in finmix.corpus.mixtures: run "
          + "`finmix mix --run-id " + runId + "` first");
    }
    List<String> only = s.only();
    for (String o : only) {
      if (!recipes.contains(o)) {
        throw new UserError("unknown recipe '" + o + "' in tokenize.only; run " + runId
            + " has mixtures " + recipes);
      }
    }
    if (!only.isEmpty()) {
      recipes.retainAll(only);
    }
    steps.progress("run {}, tokenizer {}, seq_len {}, {} recipes", runId, tokenizerId,
        s.seqLen(), recipes.size());
    Map<String, Map<String, Object>> byRecipe = new TreeMap<>();
    for (int n = 0; n < recipes.size(); n++) {
      String recipe = recipes.get(n);
      steps.progress("recipe {} ({}/{}) at {} s", recipe, n + 1, recipes.size(),
          steps.seconds());
      steps.next("recipe " + recipe);
      Dataset<Row> examples = examples(mixtures.where(col("recipe").equalTo(recipe)), s, recipe)
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        Map<String, Object> stats = new LinkedHashMap<>();
        long[] histogram = new long[s.seqLen() + 1];
        long truncated = 0;
        long dropped = 0;
        long kept = 0;
        for (Row r : examples.groupBy("status", "length").agg(count(lit(1))).collectAsList()) {
          switch (r.getString(0)) {
            case "dropped" -> dropped += r.getLong(2);
            default -> {
              histogram[r.getInt(1)] += r.getLong(2);
              kept += r.getLong(2);
              if (r.getString(0).equals("truncated")) {
                truncated += r.getLong(2);
              }
            }
          }
        }
        BestFitDecreasing plan = BestFitDecreasing.plan(histogram, s.seqLen());
        Dataset<Row> sequences = pack(spark, examples.where(col("status").notEqual("dropped")),
            plan, s.seqLen(), local.eosId())
            .withColumn("recipe", lit(recipe)).withColumn("tokenizer_id", lit(tokenizerId))
            .withColumn("seq_len", lit(s.seqLen())).withColumn("run_id", lit(runId));
        TableWriter.overwrite(spark, "train.sequences",
            TableWriter.inDeclaredOrder(sequences, "train.sequences"),
            col("run_id").equalTo(runId).and(col("recipe").equalTo(recipe))
                .and(col("tokenizer_id").equalTo(tokenizerId))
                .and(col("seq_len").equalTo(s.seqLen())));
        long tokens = java.util.stream.IntStream.range(0, histogram.length)
            .mapToLong(l -> l * histogram[l]).sum();
        stats.put("examples", kept + dropped);
        stats.put("truncated", truncated);
        stats.put("dropped", dropped);
        stats.put("packed_examples", kept);
        stats.put("tokens", tokens);
        stats.put("sequences", (long) plan.bins());
        stats.put("efficiency", plan.bins() == 0 ? 0.0
            : tokens / ((double) plan.bins() * s.seqLen()));
        stats.put("examples_per_sequence", plan.bins() == 0 ? 0.0 : kept / (double) plan.bins());
        byRecipe.put(recipe, stats);
      } finally {
        examples.unpersist(false);
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "tokenize");
    report.put("run_id", runId);
    report.put("seconds", steps.elapsed());
    report.put("tokenizer", s.tokenizer());
    report.put("tokenizer_id", tokenizerId);
    report.put("format", s.encoder().format());
    if (s.encoder().chat()) {
      report.put("chat_template", encoder.template().name());
      report.put("system", s.encoder().system());
      report.put("chat_vars", s.encoder().vars());
    }
    report.put("seq_len", s.seqLen());
    report.put("loss_on", s.lossOnAll() ? "all" : "answer");
    report.put("overlong", s.truncatePrompt() ? "truncate_prompt" : "drop");
    report.put("recipes", byRecipe);
    String path = RunReport.write(config, spark.sparkContext().hadoopConfiguration(),
        "tokenize", report).toString();
    steps.progress("done in {} s", steps.seconds());
    return new Result(tokenizerId, s.seqLen(), byRecipe, path);
  }

  /**
   * One recipe's examples tokenized: prompt, then answer with its end of sequence, the loss
   * mask on the answer, and what the overlong policy did ({@code ok}, {@code truncated} or
   * {@code dropped}). A row the chat template cannot render fails the stage, naming the row.
   */
  static Dataset<Row> examples(Dataset<Row> mixture, Settings s, String recipe) {
    return mixture.select("position", "record_id", "prompt", "answer").map(
        (MapFunction<Row, Row>) r -> {
          ExampleEncoder.Encoded e = ExampleEncoders.encode(s.encoder(), r.getString(2),
              r.getString(3),
              () -> "recipe '" + recipe + "', record " + r.getString(1) + " (mixture position "
                  + r.getLong(0) + ")");
          int[] prompt = e.prompt();
          int[] answer = e.answer();
          int keepPrompt = prompt.length;
          String status = "ok";
          int room = s.seqLen() - answer.length;
          if (prompt.length > room) {
            if (s.truncatePrompt() && room >= 0) {
              keepPrompt = room;
              status = "truncated";
            } else {
              return RowFactory.create(r.getLong(0), r.getString(1), new Integer[0],
                  new Integer[0], e.length(), "dropped");
            }
          }
          int n = keepPrompt + answer.length;
          Integer[] ids = new Integer[n];
          Integer[] mask = new Integer[n];
          int k = 0;
          for (int i = prompt.length - keepPrompt; i < prompt.length; i++) {
            ids[k] = prompt[i];
            mask[k++] = s.lossOnAll() ? 1 : 0;
          }
          for (int a : answer) {
            ids[k] = a;
            mask[k++] = 1;
          }
          return RowFactory.create(r.getLong(0), r.getString(1), ids, mask, n, status);
        }, Encoders.row(EXAMPLES));
  }

  /**
   * The packed sequences: each example to its planned bin (by its rank among the examples of
   * its length, in mixture order), the bin's examples in mixture order, padded with the end of
   * sequence token (mask 0, segment 0); sequences in the order of their first example.
   */
  static Dataset<Row> pack(SparkSession spark, Dataset<Row> examples, BestFitDecreasing plan,
      int seqLen, int padId) {
    Broadcast<BestFitDecreasing> broadcast = spark.sparkContext().broadcast(plan,
        scala.reflect.ClassTag$.MODULE$.apply(BestFitDecreasing.class));
    var binOf = udf((UDF2<Integer, Long, Integer>) (length, rank) ->
        broadcast.value().bin(length, rank), DataTypes.IntegerType);
    Dataset<Row> binned = examples
        .withColumn("rank", row_number().over(Window.partitionBy("length")
            .orderBy("position")).minus(1).cast("long"))
        .withColumn("bin", binOf.apply(col("length"), col("rank")))
        .groupBy("bin")
        .agg(min("position").as("first"), sort_array(collect_list(struct(col("position"),
            col("record_id"), col("ids"), col("mask")))).as("members"));
    StructType out = new StructType()
        .add("first", DataTypes.LongType, false)
        .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add("loss_mask", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add("segment_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add("positions", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add("record_ids", DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add("mixture_positions", DataTypes.createArrayType(DataTypes.LongType, false), false)
        .add("tokens", DataTypes.IntegerType, false);
    Dataset<Row> sequences = binned.select("first", "members").map(
        (MapFunction<Row, Row>) r -> {
          List<Row> members = r.getList(1);
          Integer[] ids = new Integer[seqLen];
          Integer[] mask = new Integer[seqLen];
          Integer[] segment = new Integer[seqLen];
          Integer[] positions = new Integer[seqLen];
          String[] records = new String[members.size()];
          Long[] mixturePositions = new Long[members.size()];
          int k = 0;
          for (int m = 0; m < members.size(); m++) {
            Row e = members.get(m);
            mixturePositions[m] = e.getLong(0);
            records[m] = e.getString(1);
            List<Integer> eIds = e.getList(2);
            List<Integer> eMask = e.getList(3);
            for (int i = 0; i < eIds.size(); i++, k++) {
              ids[k] = eIds.get(i);
              mask[k] = eMask.get(i);
              segment[k] = m + 1;
              positions[k] = i;
            }
          }
          int tokens = k;
          for (; k < seqLen; k++) {
            ids[k] = padId;
            mask[k] = 0;
            segment[k] = 0;
            positions[k] = 0;
          }
          return RowFactory.create(r.getLong(0), ids, mask, segment, positions, records,
              mixturePositions, tokens);
        }, Encoders.row(out));
    return Indexed.withIndex(spark, sequences.orderBy("first"), "sequence_index").drop("first");
  }
}
