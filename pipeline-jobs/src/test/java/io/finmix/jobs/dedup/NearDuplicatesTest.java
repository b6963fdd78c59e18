package io.finmix.jobs.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.FinmixConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The near pass gives the same rows whether a small candidate set is verified, joined and
 * marked on the driver or through Spark jobs: pairs, chains, minimal pairs of labels, rows
 * kept apart, split ranks and priorities, and a component over the cap.
 */
class NearDuplicatesTest extends SparkTestBase {

  private static final StructType ROWS = StructType.fromDDL("record_id STRING NOT NULL, "
      + "source STRING NOT NULL, split STRING NOT NULL, label STRING, split_rank INT NOT NULL, "
      + "priority INT NOT NULL, dedup_text STRING NOT NULL, dedup_apart STRING NOT NULL");
  private static Dataset<Row> rows;

  @BeforeAll
  static void corpus() {
    Random random = new Random(7);
    String[] vocab = new String[400];
    for (int i = 0; i < vocab.length; i++) {
      vocab[i] = "w" + Integer.toString(i, 36) + (char) ('a' + random.nextInt(26));
    }
    String[] splits = {"train", "valid", "test"};
    String[] labels = {"positive", "negative", null};
    List<Row> out = new ArrayList<>();
    for (int doc = 0; doc < 60; doc++) {
      String[] words = new String[24 + random.nextInt(10)];
      for (int i = 0; i < words.length; i++) {
        words[i] = vocab[random.nextInt(vocab.length)];
      }
      String label = labels[doc % 3];
      // a chain of copies, each one or two words from the last: pairs, A~B~C chains
      int copies = doc % 4 == 0 ? 6 : 1 + doc % 3;
      for (int c = 0; c <= copies; c++) {
        int split = random.nextInt(10) < 7 ? 0 : 1 + random.nextInt(2);
        String rowLabel = c == 2 && doc % 5 == 0 ? "neutral" : label; // a minimal pair
        String apart = c == 1 && doc % 7 == 0 ? "question=Up" : ""; // asks something else
        out.add(RowFactory.create(String.format("r%03d-%d", doc, c), "src" + doc % 2,
            splits[split], rowLabel, split, random.nextInt(2), String.join(" ", words), apart));
        for (int e = 0; e < 1 + random.nextInt(2); e++) {
          words[random.nextInt(words.length)] = vocab[random.nextInt(vocab.length)];
        }
      }
    }
    rows = SPARK.createDataFrame(out, ROWS);
  }

  /** What the near pass marks: its columns, and one line a row, sorted. */
  private record Marked(StructType columns, List<String> rows) {}

  private static Marked marked(String... sets) {
    Dataset<Row> marked = NearDuplicates.find(rows, DedupSettings.of(
        FinmixConfig.defaultsWith(sets)));
    try {
      return new Marked(marked.schema(), marked.collectAsList().stream().map(Row::toString)
          .sorted().toList());
    } finally {
      marked.unpersist();
    }
  }

  @Test
  void theDriverAndSparkJobsMarkTheSameRowsInTheSameColumns() {
    for (String cap : List.of("10000", "4")) {
      Marked onDriver = marked("dedup.near.max_component_size=" + cap);
      Marked distributed = marked("dedup.near.max_component_size=" + cap,
          "dedup.near.driver_max_edges=0");
      assertThat(onDriver).isEqualTo(distributed);
      Map<String, Long> reasons = new TreeMap<>(onDriver.rows().stream().collect(Collectors
          .groupingBy(line -> line.split(",")[8], Collectors.counting())));
      assertThat(reasons).as("cap %s", cap).containsKeys("kept", "near_duplicate", "chain_cut");
      if (cap.equals("4")) {
        assertThat(reasons).containsKey("component_over_cap");
      }
    }
  }
}
