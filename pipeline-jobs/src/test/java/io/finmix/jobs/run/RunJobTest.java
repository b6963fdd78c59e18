package io.finmix.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.RunReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class RunJobTest extends SparkTestBase {

  @Test
  void runWritesTheSampleDataAndRunsEveryStage() throws Exception {
    Path sample = Files.createTempDirectory(Path.of(WAREHOUSE), "run-sample-");
    CliRunner r = CliRunner.run(new RunJob(), "--warehouse", WAREHOUSE, "--run-id", "run-test",
        "--set", "run.sample_data_dir=" + sample);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(sample.resolve("fpb/all-data.csv")).exists();
    assertThat(count("SELECT count(DISTINCT source) FROM finmix.corpus.records "
        + "WHERE run_id = 'run-test'")).isEqualTo(13);
    assertThat(count("SELECT count(*) FROM finmix.corpus.quarantine WHERE run_id = 'run-test'"))
        .isGreaterThanOrEqualTo(10);
    Map<String, Object> report = RunReport.read(config("run_id=run-test"), new Configuration(),
        "ingest");
    assertThat(report).containsEntry("sources_file", "sources/sample.conf")
        .containsEntry("data_root", sample.toString());
    // dedup and decontaminate ran after ingest, each on the output of the one before
    long records = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = 'run-test'");
    long deduped = count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = 'run-test'");
    long clean = count("SELECT count(*) FROM finmix.corpus.clean WHERE run_id = 'run-test'");
    assertThat(deduped).isLessThan(records).isGreaterThan(records / 2);
    assertThat(clean).isLessThan(deduped).isGreaterThan(deduped / 2);
    assertThat(RunReport.read(config("run_id=run-test"), new Configuration(), "decontaminate"))
        .containsKey("matched_training_rows_by_benchmark_and_source");
    // and mix drew every built-in recipe from the clean rows: the sample corpus has every task
    List<String> recipes = sql("SELECT DISTINCT recipe FROM finmix.corpus.mixtures WHERE run_id "
        + "= 'run-test' ORDER BY 1").stream().map(row -> row.getString(0)).toList();
    assertThat(recipes).containsExactlyInAnyOrder("finance", "finance+general", "finance+general+math",
        "finance+math", "target-only-fiqa_sa", "target-only-fpb", "target-only-headline",
        "target-only-nwgi", "target-only-numeric_qa", "target-only-sentiment",
        "target-only-tfns");
    // target-only: the task's training rows, each once
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures WHERE run_id = 'run-test' "
        + "AND recipe = 'target-only-fpb'")).isEqualTo(count("SELECT count(*) FROM "
        + "finmix.corpus.clean WHERE run_id = 'run-test' AND source = 'fpb' AND split = 'train'"));
  }
}
