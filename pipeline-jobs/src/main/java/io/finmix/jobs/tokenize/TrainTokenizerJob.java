package io.finmix.jobs.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.model.tokenizer.BpeTrainer;
import io.finmix.model.tokenizer.ByteLevelBpeFile;
import io.finmix.model.tokenizer.TextTokenizer;
import io.finmix.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains a byte-level BPE tokenizer on a mixture: the words (GPT-2 pre-tokenization pieces of
 * prompt + answer) are counted by Spark, the merges are learned on the driver from those
 * counts, and a standard tokenizer.json (+ tokenizer_config.json) is written, which tokenize
 * and any Hugging Face tokenizers library load. Every training text must round-trip exactly,
 * or the stage fails.
 */
@Command(
    name = "train-tokenizer",
    mixinStandardHelpOptions = true,
    description = {
        "Trains a byte-level BPE tokenizer on a mixture (finmix.corpus.mixtures).",
        "Output: <out>/tokenizer.json and tokenizer_config.json (default "
            + "<warehouse>/tokenizers/<name>)."
    })
public final class TrainTokenizerJob extends StageCommand {

  /** The end-of-sequence token every trained tokenizer ends with. */
  public static final String EOS = "<|endoftext|>";

  @ConfigKey("train_tokenizer.recipe")
  @Option(names = "--recipe", paramLabel = "NAME",
      description = "The mixture to train on (train_tokenizer.recipe).")
  String recipe;

  @ConfigKey("train_tokenizer.vocab_size")
  @Option(names = "--vocab-size", paramLabel = "N",
      description = "Vocabulary size, bytes and special tokens included "
          + "(train_tokenizer.vocab_size).")
  Integer vocabSize;

  @ConfigKey("train_tokenizer.out")
  @Option(names = "--out", paramLabel = "DIR",
      description = "Local folder for the files (train_tokenizer.out).")
  String out;

  public static void main(String[] args) {
    Commands.main(new TrainTokenizerJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = train(session(config, "train-tokenizer"), config);
    result.print(System.out);
    return 0;
  }

  /** What was trained, and where it is. */
  public record Result(Path tokenizerJson, String tokenizerId, int vocabSize, long words,
      long texts, String report) implements StageResult {

    public void print(PrintStream out) {
      out.printf("tokenizer %s: %d tokens from %d distinct words of %d texts%n", tokenizerId,
          vocabSize, words, texts);
      out.println("file:   " + tokenizerJson);
      out.println("report: " + report);
      out.flush();
    }
  }

  /**
   * The {@code train_tokenizer} section of the config, read and checked in one place.
   *
   * @param recipe the mixture whose prompts and answers the tokenizer learns from
   * @param vocabSize tokens in all, the 256 bytes and the end-of-text token among them
   * @param minFrequency a word seen fewer times is not counted
   * @param maxWords the most frequent words counted, at most
   * @param dir the folder the tokenizer is written to
   * @param maxLength the tokenizer's model_max_length (tokenize.seq_len)
   */
  record Settings(String recipe, int vocabSize, long minFrequency, int maxWords, Path dir,
      int maxLength) {

    static Settings of(FinmixConfig config) {
      var c = config.config();
      Settings s = new Settings(c.getString("train_tokenizer.recipe"),
          c.getInt("train_tokenizer.vocab_size"), c.getLong("train_tokenizer.min_frequency"),
          c.getInt("train_tokenizer.max_words"), outputDir(config), c.getInt("tokenize.seq_len"));
      if (s.vocabSize < 257 || s.minFrequency < 1 || s.maxWords < 1) {
        throw new UserError("train_tokenizer: need vocab_size >= 257, min_frequency >= 1 and "
            + "max_words >= 1 (" + config.originOf("train_tokenizer.vocab_size") + ")");
      }
      return s;
    }
  }

  /** The folder a config's tokenizer is written to (a local path). */
  public static Path outputDir(FinmixConfig config) {
    String dir = config.config().getString("train_tokenizer.out");
    if (dir.isEmpty()) {
      String warehouse = config.warehouse();
      if (warehouse.contains("://") && !warehouse.startsWith("file:")) {
        throw new UserError("train_tokenizer.out: the warehouse " + warehouse + " is not a "
            + "local path; give a local folder (shared by every node) with --out");
      }
      dir = warehouse.replaceFirst("^file:(//)?", "") + "/tokenizers/"
          + config.config().getString("train_tokenizer.name");
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }

  /** Trains the tokenizer on a mixture's texts, writes it and checks every text round-trips. */
  public static Result train(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "train-tokenizer",
        steps -> train(spark, config, Settings.of(config), steps));
  }

  private static Result train(SparkSession spark, FinmixConfig config, Settings s, Steps steps) {
    String runId = config.runId();
    String recipeName = s.recipe();
    long minFrequency = s.minFrequency();
    Dataset<Row> texts = TableWriter.runRows(spark, "corpus.mixtures", runId)
        .where(col("recipe").equalTo(recipeName)).select("prompt", "answer");
    long n = texts.count();
    if (n == 0) {
      throw new UserError("train_tokenizer.recipe: no mixture '" + recipeName + "' for run "
          + runId + " in finmix.corpus.mixtures: run `finmix mix --run-id " + runId
          + "` first, or name another recipe with --recipe");
    }
    steps.progress("counting words of {} texts of {}", n, recipeName);
    steps.next("count words");
    Map<String, Long> words = new HashMap<>();
    for (Row r : texts.flatMap((FlatMapFunction<Row, String>) r -> {
          List<String> pieces = new ArrayList<>(BpeTrainer.pieces(r.getString(0)));
          pieces.addAll(BpeTrainer.pieces(r.getString(1)));
          return pieces.iterator();
        }, Encoders.STRING()).toDF("word").groupBy("word").agg(count(lit(1)).as("n"))
        .where(col("n").geq(minFrequency)).orderBy(col("n").desc(), col("word"))
        .limit(s.maxWords()).collectAsList()) {
      words.put(r.getString(0), r.getLong(1));
    }
    steps.progress("{} words at {} s; learning merges", words.size(), steps.seconds());
    List<String[]> merges = BpeTrainer.train(words, s.vocabSize(), minFrequency, 1);
    Path dir = s.dir();
    Path file = dir.resolve("tokenizer.json");
    try {
      Files.createDirectories(dir);
      ByteLevelBpeFile.write(file, merges, List.of(EOS));
      Files.writeString(dir.resolve("tokenizer_config.json"), "{\n  \"eos_token\": \"" + EOS
          + "\",\n  \"model_max_length\": " + s.maxLength()
          + ",\n  \"tokenizer_class\": \"PreTrainedTokenizerFast\"\n}\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the tokenizer to " + dir, e);
    }
    Tokenizers.forget(file.toString());
    TextTokenizer trained = Tokenizers.load(file.toString());
    steps.progress("{} merges written to {}; checking every text round-trips", merges.size(),
        file);
    steps.next("round-trip check");
    String spec = file.toString();
    List<String> broken = texts.mapPartitions((MapPartitionsFunction<Row, String>) it -> {
          TextTokenizer t = Tokenizers.load(spec);
          List<String> bad = new ArrayList<>();
          while (it.hasNext() && bad.size() < 3) {
            Row r = it.next();
            for (int i = 0; i < 2; i++) {
              if (!t.decode(t.encode(r.getString(i))).equals(r.getString(i))) {
                bad.add(r.getString(i));
              }
            }
          }
          return bad.iterator();
        }, Encoders.STRING()).limit(3).collectAsList();
    if (!broken.isEmpty()) {
      throw new IllegalStateException("the trained tokenizer " + file + " does not round-trip "
          + broken.size() + " texts, e.g. \"" + broken.get(0) + "\"");
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "train-tokenizer");
    report.put("run_id", runId);
    report.put("seconds", steps.elapsed());
    report.put("recipe", recipeName);
    report.put("texts", n);
    report.put("distinct_words", words.size());
    report.put("merges", merges.size());
    report.put("vocab_size", trained.vocabSize());
    report.put("tokenizer_json", file.toString());
    report.put("tokenizer_id", trained.id());
    String path = RunReport.write(config, spark.sparkContext().hadoopConfiguration(),
        "train-tokenizer", report).toString();
    return new Result(file, trained.id(), trained.vocabSize(), words.size(), n, path);
  }
}
