package io.finmix.jobs.decontaminate;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.RecordFixtures;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.TableWriter;
import io.finmix.schemas.TableSchemas;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decontamination on planted overlaps between training rows and benchmark eval rows. */
class DecontaminateJobTest extends SparkTestBase {

  private static final String RUN = "decontaminate-test";
  private static final String LONG_EVAL = "Natalia sold clips to forty eight of her friends in "
      + "April and then she sold half as many clips in May so how many clips did Natalia sell "
      + "altogether in April and May this year";
  private static Path benchmarks;

  @BeforeAll
  static void plantAndDecontaminate() throws Exception {
    benchmarks = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "bench-", ".conf"),
        "benchmarks {\n  math { source = gsm8k, splits = [test] }\n"
            + "  tweets { source = tfns, splits = [valid, test] }\n"
            + "  absent { source = nope, splits = [test] }\n}\n");
    RecordFixtures rows = new RecordFixtures(RUN)
        // eval rows
        .add("g_test", "gsm8k", "test", null, LONG_EVAL, "72", "72", 0)
        .add("t_test", "tfns", "test", null, "$AAPL beats on revenue, raises full year "
            + "guidance", "positive", "positive", 0)
        .add("t_valid", "tfns", "valid", null, "Kestrel Bank shares slide 12% after "
            + "earnings miss", "negative", "negative", 0)
        .add("t_tiny", "tfns", "test", null, "AEMD", "neutral", "neutral", 0)
        // a long training text that quotes 13+ words of the math test item in its answer
        .add("leak_long", "orca_math", "train", "Solve.", "A word problem.", "Recall that "
            + "Natalia sold clips to forty eight of her friends in April and then she sold half "
            + "as many clips in May; the answer is 72.", null, 0)
        // the same tweet, other case, punctuation and link
        .add("leak_exact", "pixiu", "train", null, "$aapl BEATS on revenue; raises full-year "
            + "guidance https://t.co/x1", "positive", "positive", 0)
        // one word changed in a short text: a near match
        .add("leak_near", "tfns", "train", null, "Kestrel Bank shares slide 12% after "
            + "quarterly earnings miss", "negative", "negative", 0)
        .add("leak_tiny", "tfns", "train", null, "aemd", "neutral", "neutral", 0)
        // shares one boilerplate 6-gram only: not contamination
        .add("boiler", "tfns", "train", null, "$MSFT beats on revenue, raises full year "
            + "dividend by ten percent", "positive", "positive", 0)
        .add("clean", "fpb", "train", null, "The company appointed a new chief executive .",
            "neutral", "neutral", 0);
    rows.writeRecords(SPARK);
    // decontaminate reads the deduped table: here, the records as they are
    TableWriter.overwrite(SPARK, "corpus.deduped", rows.frame(SPARK),
        functions.col("run_id").equalTo(RUN));
    CliRunner r = CliRunner.run(new DecontaminateJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--benchmarks", benchmarks.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  @Test
  void overlappingTrainingRowsLeaveAndEvalRowsStay() {
    TreeSet<String> clean = new TreeSet<>();
    for (Row r : sql("SELECT record_id FROM finmix.corpus.clean WHERE run_id = '%s'", RUN)) {
      clean.add(r.getString(0));
    }
    assertThat(clean).containsExactly("boiler", "clean", "g_test", "t_test", "t_tiny",
        "t_valid");
  }

  @Test
  void everyMatchIsListedWithItsKind() {
    Map<String, String> matches = new HashMap<>();
    for (Row r : sql("SELECT record_id, concat_ws('/', benchmark, eval_record_id, match, "
        + "ngram, action) FROM finmix.corpus.contamination WHERE run_id = '%s' AND match <> "
        + "'ngram' OR (run_id = '%s' AND record_id = 'leak_long')", RUN, RUN)) {
      matches.merge(r.getString(0), r.getString(1), (a, b) -> a.compareTo(b) < 0 ? a + ";" + b
          : b + ";" + a);
    }
    assertThat(matches).containsEntry("leak_long", "math/g_test/ngram/13/removed")
        .containsEntry("leak_exact", "tweets/t_test/exact/0/removed")
        .containsEntry("leak_near", "tweets/t_valid/near/0/removed")
        .containsEntry("leak_tiny", "tweets/t_tiny/exact/0/removed")
        .doesNotContainKeys("boiler", "clean");
    Row ngram = sql("SELECT matched_ngrams, eval_ngrams, similarity FROM "
        + "finmix.corpus.contamination WHERE run_id = '%s' AND record_id = 'leak_long'", RUN)
        .get(0);
    assertThat(ngram.getInt(0)).isBetween(1, ngram.getInt(1));
    assertThat(ngram.getDouble(2)).isEqualTo(ngram.getInt(0) / (double) ngram.getInt(1));
    for (String table : List.of("corpus.clean", "corpus.contamination")) {
      assertThat(TableWriter.differences(SPARK.table("finmix." + table).schema(),
          TableSchemas.load(table).schema(), true)).as(table).isEmpty();
    }
  }

  @Test
  void flagKeepsTheRowsButStillListsThem() {
    String run = "decontaminate-flag";
    RecordFixtures rows = new RecordFixtures(run)
        .add("t_test", "tfns", "test", "Guidance cut for 2025 by the board", "negative")
        .add("leak", "tfns", "train", "guidance cut for 2025 by the board!", "negative");
    TableWriter.overwrite(SPARK, "corpus.deduped", rows.frame(SPARK),
        functions.col("run_id").equalTo(run));
    DecontaminateJob.Result result = DecontaminateJob.decontaminate(SPARK, config(
        "run_id=" + run, "decontaminate.action=flag",
        "decontaminate.benchmarks=" + benchmarks));
    assertThat(result.removed()).isZero();
    assertThat(result.byBenchmark()).containsEntry("tweets", Map.of("tfns", 1L));
    assertThat(count("SELECT count(*) FROM finmix.corpus.clean WHERE run_id = '%s'", run))
        .isEqualTo(2);
    assertThat(sql("SELECT DISTINCT action FROM finmix.corpus.contamination WHERE run_id = '%s'",
        run)).extracting(r -> r.getString(0)).containsExactly("flagged");
  }
}
