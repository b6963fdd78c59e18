package io.finmix.jobs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestTallyTest {

  private static final SourceSpec FPB = SourcesFile.load("sources/sample.conf", "/nowhere",
      List.of("fpb"), 1000).get(0);

  private static IngestOutcome record(boolean first, long offset, boolean mayCollide) {
    return IngestOutcome.record(first, FPB, "fpb/a.csv", offset, 0, "id" + offset, "train",
        null, "text", null, null, "positive", Map.of(), "h", mayCollide);
  }

  private static IngestOutcome bad(String source, long offset) {
    return IngestOutcome.quarantine(true, source, source + "/a.csv", offset, 0,
        QuarantineReason.MALFORMED_CSV, "quote", "raw");
  }

  @Test
  void countsRawRowsRecordsAndReasonsAndMergesTasks() {
    IngestTally task1 = new IngestTally(10, 100);
    task1.add(record(true, 0, false));
    task1.add(record(false, 0, false)); // a second record of the same raw row
    task1.add(bad("fpb", 5));
    IngestTally task2 = new IngestTally(10, 100);
    task2.add(record(true, 9, true));
    task2.add(bad("tfns", 3));
    IngestTally driver = task1.copy();
    driver.reset();
    assertThat(driver.isZero()).isTrue();
    driver.merge(task1);
    driver.merge(task2);

    IngestTally.Value v = driver.value();
    assertThat(v.sortedCounts()).isEqualTo(Map.of(
        "fpb", new java.util.TreeMap<>(Map.of("", 3L, "#raw", 3L, "malformed_csv", 1L)),
        "tfns", new java.util.TreeMap<>(Map.of("malformed_csv", 1L, "#raw", 1L))));
    assertThat(v.quarantined).extracting(o -> o.source + "@" + o.sourceOffset)
        .containsExactly("fpb@5", "tfns@3");
    assertThat(v.mayCollide).containsExactly("fpb");
    assertThat(v.overflowed).isEmpty();
  }

  @Test
  void aSourceWithTooManyQuarantinedRowsInATaskIsMarkedAndItsRowsDropped() {
    IngestTally task = new IngestTally(2, 100);
    task.add(bad("fpb", 1));
    task.add(bad("tfns", 1));
    task.add(bad("fpb", 2));
    task.add(bad("fpb", 3)); // the third of fpb in this task
    task.add(bad("fpb", 4));
    IngestTally.Value v = task.value();
    assertThat(v.overflowed).containsExactly("fpb");
    assertThat(v.quarantined).extracting(o -> o.source).containsExactly("tfns");
    assertThat(v.sortedCounts().get("fpb").get("malformed_csv")).isEqualTo(4L);

    // another task's fpb rows are dropped on the driver too
    IngestTally other = new IngestTally(2, 100);
    other.add(bad("fpb", 9));
    IngestTally driver = new IngestTally(2, 100);
    driver.merge(other);
    driver.merge(task);
    assertThat(driver.value().quarantined).extracting(o -> o.source)
        .containsExactly("tfns");
  }

  @Test
  void tooManyQuarantinedRowsInAllMarkEverySourceHeld() {
    IngestTally driver = new IngestTally(10, 3);
    for (String source : List.of("fpb", "tfns")) {
      IngestTally task = new IngestTally(10, 3);
      task.add(bad(source, 1));
      task.add(bad(source, 2));
      driver.merge(task);
    }
    assertThat(driver.value().overflowed).containsExactlyInAnyOrder("fpb", "tfns");
    assertThat(driver.value().quarantined).isEmpty();
  }
}
