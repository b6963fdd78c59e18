package io.finmix.jobs.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.RecordFixtures;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.text.Shingles;
import io.finmix.schemas.TableSchemas;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dedup on planted duplicates: exact copies (up to case, punctuation and URLs), edits at
 * several Jaccard levels, a reordering, a chain, label conflicts and eval/train collisions;
 * the assertions name exactly which rows survive and why the others went.
 */
class DedupJobTest extends SparkTestBase {

  private static final String RUN = "dedup-test";
  private static final String BASE = "Nordlund Oyj said its net sales in the first quarter of the "
      + "year rose by eleven percent to EUR 412 million from EUR 371 million a year earlier";

  /** BASE with words from the end replaced, so the 3-shingle Jaccard falls with each edit. */
  private static String edited(int words) {
    String[] w = BASE.split(" ");
    for (int i = 0; i < words; i++) {
      w[w.length - 1 - i * 3] = "changed" + i;
    }
    return String.join(" ", w);
  }

  @BeforeAll
  static void plantAndDedup() {
    new RecordFixtures(RUN)
        // exact copies, in case, punctuation and a link; a2 (priority 5) must win
        .add("a1", "fpb", "train", null, "Profit rose 5 % in Q1 .", "positive", "positive", 1)
        .add("a2", "fpb", "train", null, "PROFIT rose 5% in Q1!", "positive", "positive", 5)
        .add("a3", "tfns", "train", null, "profit rose 5 % in q1 https://t.co/xyz", "positive",
            "positive", 1)
        // label conflicts: c has 2 x neutral vs 1 x positive (majority keeps a neutral one),
        // d is a 1:1 tie (all go)
        .add("c1", "fpb", "train", "The board met on Monday .", "neutral")
        .add("c2", "fpb", "train", "the board met on monday", "neutral")
        .add("c3", "fpb", "train", "The board met on Monday!", "positive")
        .add("d1", "fpb", "train", "Shares were flat .", "neutral")
        .add("d2", "fpb", "train", "Shares were flat", "positive")
        // an eval row and the training rows that repeat it: the test row stays, even though a
        // train row has the higher priority and a lower id
        .add("e0", "tfns", "train", null, "Guidance cut for 2025", "negative", "negative", 9)
        .add("e1", "tfns", "test", null, "guidance cut for 2025 .", "negative", "negative", 0)
        .add("e2", "pixiu", "valid", null, "Guidance cut for 2025", "negative", "negative", 0)
        // near duplicates of BASE at falling similarity
        .add("n0", "fpb", "train", BASE, "positive")
        .add("n1", "fpb", "train", edited(1), "positive")
        .add("n2", "fpb", "train", edited(2), "positive")
        .add("n6", "fpb", "train", edited(6), "positive")
        // as similar to n0 as n1 is, but with another label: a minimal pair, not a duplicate
        .add("m1", "nwgi", "train", BASE.replace("Nordlund Oyj", "Kestrel Bank"), "negative")
        // reorderings: long clauses swapped keep most shingles; short ones do not
        .add("r1", "fpb", "train", LONG_A + " , while " + LONG_B, "positive")
        .add("r2", "fpb", "train", LONG_B + " , while " + LONG_A, "positive")
        .add("s1", "fpb", "train", "Operating profit fell to EUR 3.1 mn while net sales increased "
            + "to EUR 40.2 mn in the period under review", "positive")
        .add("s2", "fpb", "train", "In the period under review net sales increased to EUR 40.2 "
            + "mn while operating profit fell to EUR 3.1 mn", "positive")
        // a chain: ch0 ~ ch1 ~ ch2 but ch0 and ch2 are not similar
        .add("ch0", "fpb", "train", chain(0), "neutral")
        .add("ch1", "fpb", "train", chain(1), "neutral")
        .add("ch2", "fpb", "train", chain(2), "neutral")
        .add("u1", "fpb", "train", "A completely unrelated sentence about the weather .", "neutral")
        // two questions about one headline that differ in what they ask (attributes.question,
        // dedup.keep_apart): not duplicates, however alike, even with one answer; h3 repeats
        // h1's question word for word: an exact duplicate
        .add("h1", "headlines", "train", HEADLINE_Q.formatted("increasing", "Up"), HEADLINE,
            "No", "No", 0, Map.of("question", "increasing"))
        .add("h2", "headlines", "train", HEADLINE_Q.formatted("decreasing", "Down"), HEADLINE,
            "No", "No", 0, Map.of("question", "decreasing"))
        .add("h3", "headlines", "train", HEADLINE_Q.formatted("increasing", "Up"), HEADLINE,
            "No", "No", 0, Map.of("question", "increasing"))
        // one text under two of PIXIU's sentiment phrasings: finmix's sentiment template
        // replaces the instruction, so they compare by input (dedup.text_by_task) and p2 goes;
        // the same pair in a task that shows its instruction (q) is two prompts
        .add("p1", "pixiu", "sentiment", "train", PIXIU_A, "Margins widened again at Kestrel",
            "positive")
        .add("p2", "pixiu", "sentiment", "train", PIXIU_B, "Margins widened again at Kestrel",
            "positive")
        .add("q1", "pixiu", "task", "train", PIXIU_A, "Margins widened again at Kestrel",
            "positive")
        .add("q2", "pixiu", "task", "train", PIXIU_B, "Margins widened again at Kestrel",
            "positive")
        .writeRecords(SPARK);
    CliRunner r = CliRunner.run(new DedupJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--set", "dedup.near.representative_threshold=0.7", "--set", "dedup.near.threshold=0.7");
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  private static final String LONG_A = "the group said that its order intake in the second "
      + "quarter grew strongly across every region and product line";
  private static final String LONG_B = "operating profit for the first half of the year was "
      + "held back by higher costs of raw materials and energy";

  /** Forty words; each step along the chain replaces two more (six shingles). */
  private static String chain(int step) {
    String[] w = new String[40];
    for (int i = 0; i < w.length; i++) {
      w[i] = "w" + i;
    }
    int[] replaced = {8, 16, 24, 32};
    for (int i = 0; i < 2 * step; i++) {
      w[replaced[i]] = "x" + replaced[i];
    }
    return String.join(" ", w);
  }

  private static final String PIXIU_A = "What is the sentiment of the following financial "
      + "headline: Positive, Negative, or Neutral?";
  private static final String PIXIU_B = "Classify this headline's tone as Positive, Negative "
      + "or Neutral.";

  private static final String HEADLINE_Q = "Look for indications that the price of gold is "
      + "%s.. Does the news headline suggest a Direction %s for gold? Your response should be "
      + "Yes or No.";
  private static final String HEADLINE = "gold climbs to a two week high as the dollar weakens "
      + "and traders bet on lower interest rates ahead of the fed meeting";

  private static Map<String, String> fate() {
    Map<String, String> out = new HashMap<>();
    for (Row r : sql("SELECT record_id, reason, kept_record_id FROM finmix.corpus.duplicate_clusters "
        + "WHERE run_id = '%s'", RUN)) {
      String previous = out.put(r.getString(0), r.getString(1) + ":" + r.getString(2));
      if (previous != null && previous.startsWith("kept")) {
        out.put(r.getString(0), r.getString(1) + ":" + r.getString(2));
      } else if (previous != null) {
        out.put(r.getString(0), previous);
      }
    }
    return out;
  }

  private static double jaccard(String a, String b) {
    DedupSettings s = DedupSettings.of(config());
    return Shingles.jaccard(Shingles.of(s.normalizer().words(a), 3),
        Shingles.of(s.normalizer().words(b), 3));
  }

  @Test
  void exactlyTheExpectedRowsSurvive() {
    TreeSet<String> survivors = new TreeSet<>();
    for (Row r : sql("SELECT record_id FROM finmix.corpus.deduped WHERE run_id = '%s'", RUN)) {
      survivors.add(r.getString(0));
    }
    assertThat(survivors).containsExactly("a2", "c1", "ch0", "ch2", "e1", "h1", "h2", "m1", "n0",
        "n6", "p1", "q1", "q2", "r1", "s1", "s2", "u1");
  }

  @Test
  void questionsThatAskDifferentThingsAreKeptApart() {
    // h1 and h2 are as alike as near duplicates get here (threshold 0.7), share their answer,
    // and differ in attributes.question: both stay, and never share a cluster
    assertThat(jaccard(HEADLINE_Q.formatted("increasing", "Up") + "\n" + HEADLINE,
        HEADLINE_Q.formatted("decreasing", "Down") + "\n" + HEADLINE)).isGreaterThan(0.7);
    assertThat(fate()).containsEntry("h3", "exact_duplicate:h1").doesNotContainKey("h2");
  }

  @Test
  void sentimentRecordsCompareByTheirTextNotTheirOwnInstruction() {
    assertThat(fate()).containsEntry("p2", "exact_duplicate:p1").doesNotContainKey("q2");
    DedupSettings s = DedupSettings.of(config());
    assertThat(s.text("sentiment", PIXIU_A, "Margins widened"))
        .isEqualTo(s.text("sentiment", PIXIU_B, "Margins widened"))
        .isEqualTo(s.text("sentiment", null, "margins widened!"));
    assertThat(s.text("headline", PIXIU_A, "Margins widened"))
        .isNotEqualTo(s.text("headline", PIXIU_B, "Margins widened"));
  }

  @Test
  void everyRemovedRowIsExplained() {
    Map<String, String> fate = fate();
    assertThat(fate).containsEntry("a1", "exact_duplicate:a2")
        .containsEntry("a3", "exact_duplicate:a2")
        .containsEntry("c2", "exact_duplicate:c1")
        .containsEntry("c3", "label_conflict:c1")
        .containsEntry("d1", "label_conflict:null")
        .containsEntry("d2", "label_conflict:null")
        .containsEntry("e0", "eval_duplicate:e1")
        .containsEntry("e2", "eval_duplicate:e1")
        .containsEntry("n1", "near_duplicate:n0")
        .containsEntry("n2", "near_duplicate:n0")
        .containsEntry("r2", "near_duplicate:r1")
        .containsEntry("ch1", "near_duplicate:ch0")
        .containsEntry("ch2", "chain_cut:ch0");
    assertThat(fate).doesNotContainKeys("u1", "n6", "m1", "s1", "s2");
    // the planted similarities, on either side of the 0.7 threshold
    assertThat(jaccard(BASE, edited(2))).isGreaterThanOrEqualTo(0.7);
    assertThat(jaccard(BASE, edited(6))).isLessThan(0.7);
    assertThat(jaccard(BASE, BASE.replace("Nordlund Oyj", "Kestrel Bank")))
        .isGreaterThanOrEqualTo(0.7);
    assertThat(jaccard(LONG_A + " , while " + LONG_B, LONG_B + " , while " + LONG_A))
        .isGreaterThanOrEqualTo(0.7);
    assertThat(jaccard("Operating profit fell to EUR 3.1 mn while net sales increased to EUR "
        + "40.2 mn in the period under review", "In the period under review net sales increased "
        + "to EUR 40.2 mn while operating profit fell to EUR 3.1 mn")).isLessThan(0.7);
    assertThat(jaccard(chain(0), chain(1))).isGreaterThanOrEqualTo(0.7);
    assertThat(jaccard(chain(1), chain(2))).isGreaterThanOrEqualTo(0.7);
    assertThat(jaccard(chain(0), chain(2))).isLessThan(0.7);
  }

  @Test
  void clustersRecordSimilarityAndSize() {
    Row near = sql("SELECT cluster_id, similarity, cluster_size, action FROM "
        + "finmix.corpus.duplicate_clusters WHERE run_id = '%s' AND record_id = 'n1' AND "
        + "cluster_id LIKE 'near:%%'", RUN).get(0);
    assertThat(near.getString(0)).isEqualTo("near:n0");
    assertThat(near.getDouble(1)).isEqualTo(jaccard(BASE, edited(1)));
    assertThat(near.getInt(2)).isEqualTo(3);
    assertThat(near.getString(3)).isEqualTo("removed");
    Row exact = sql("SELECT similarity, cluster_size FROM finmix.corpus.duplicate_clusters "
        + "WHERE run_id = '%s' AND record_id = 'a3'", RUN).get(0);
    assertThat(exact.getDouble(0)).isEqualTo(1.0);
    assertThat(exact.getInt(1)).isEqualTo(3);
    for (String table : List.of("corpus.deduped", "corpus.duplicate_clusters")) {
      assertThat(TableWriter.differences(SPARK.table("finmix." + table).schema(),
          TableSchemas.load(table).schema(), true)).as(table).isEmpty();
    }
  }

  @Test
  void dropAllRemovesEveryConflictingRowAndTheReportCounts() {
    String run = "dedup-drop-all";
    new RecordFixtures(run)
        .add("c1", "fpb", "train", "The board met on Monday .", "neutral")
        .add("c2", "fpb", "train", "the board met on monday", "neutral")
        .add("c3", "fpb", "train", "The board met on Monday!", "positive")
        .add("k1", "fpb", "train", "Something else entirely happened .", "neutral")
        .writeRecords(SPARK);
    DedupJob.Result result = DedupJob.dedup(SPARK, config("run_id=" + run,
        "dedup.label_conflicts=drop_all", "dedup.near.enabled=false"));
    assertThat(count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = '%s'", run))
        .isEqualTo(1);
    assertThat(result.bySource().get("fpb")).containsEntry("records", 4L)
        .containsEntry("deduped", 1L).containsEntry("label_conflict", 3L);
  }

  @Test
  void aRunWithoutRecordsIsAUserError() {
    CliRunner r = CliRunner.run(new DedupJob(), "--warehouse", WAREHOUSE, "--run-id", "nothing");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no records for run nothing", "finmix ingest");
  }
}
