package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.Test;

/** A stage's steps name the Spark jobs that follow them and give the caller its name back. */
class StepsTest extends SparkTestBase {

  private static final String DESCRIPTION = "spark.job.description";

  @Test
  void eachStepNamesTheJobsAfterItAndClosingRestoresTheCallersDescription() throws Exception {
    SparkContext sc = SPARK.sparkContext();
    List<String> described = new ArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart start) {
        synchronized (described) {
          described.add(start.properties().getProperty(DESCRIPTION));
        }
      }
    };
    sc.addSparkListener(listener);
    sc.setJobDescription("the sweep's point");
    try {
      try (Steps steps = Steps.of(SPARK, "dedup")) {
        steps.next("exact duplicates");
        SPARK.range(3).count();
        steps.next("write finmix.corpus.deduped");
        SPARK.range(4).count();
        assertThat(Double.parseDouble(steps.seconds())).isGreaterThanOrEqualTo(0);
        assertThat(steps.elapsed()).isGreaterThan(0);
      }
      assertThat(sc.getLocalProperty(DESCRIPTION)).isEqualTo("the sweep's point");
      sc.listenerBus().waitUntilEmpty();
      synchronized (described) {
        assertThat(described).containsSubsequence("dedup: exact duplicates",
            "dedup: write finmix.corpus.deduped");
      }
    } finally {
      sc.removeSparkListener(listener);
      sc.setJobDescription(null);
    }
  }

  @Test
  void closingWithNoCallersDescriptionClearsIt() {
    SPARK.sparkContext().setJobDescription(null);
    try (Steps steps = Steps.of(SPARK, "mix")) {
      steps.next("recipe finance");
      assertThat(SPARK.sparkContext().getLocalProperty(DESCRIPTION)).isEqualTo(
          "mix: recipe finance");
    }
    assertThat(SPARK.sparkContext().getLocalProperty(DESCRIPTION)).isNull();
  }
}
