package io.finmix.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks file: defaults by kind, the shipped file, and mistakes named by key. */
class BenchmarksTest {

  @TempDir
  Path dir;

  private List<Benchmarks.Benchmark> load(String text) throws Exception {
    Path file = dir.resolve("benchmarks.conf");
    Files.writeString(file, text);
    return Benchmarks.load(file.toString());
  }

  @Test
  void kindsFillModesMetricsAndDefaults() throws Exception {
    List<Benchmarks.Benchmark> b = load("""
        defaults { splits = [valid, test], k_shot = 2 }
        benchmarks {
          a { source = fpb, choices = [negative, neutral, positive], target_recipe = t }
          b { source = gsm8k, kind = numeric, max_new_tokens = 32, k_shot = 0 }
        }
        """);
    assertThat(b.get(0).modes()).containsExactly("rank", "generate");
    assertThat(b.get(0).metrics()).contains(Metric.ACCURACY, Metric.MACRO_F1, Metric.MCC);
    assertThat(b.get(0).primaryMetric()).isEqualTo(Metric.WEIGHTED_F1);
    assertThat(b.get(0).kShot()).isEqualTo(2);
    assertThat(b.get(0).splits()).containsExactly("valid", "test");
    assertThat(b.get(1).modes()).containsExactly("generate");
    assertThat(b.get(1).primaryMetric()).isEqualTo(Metric.EXACT_MATCH);
    assertThat(b.get(1).kShot()).isZero();
    assertThat(b.get(1).maxNewTokens()).isEqualTo(32);
    assertThat(b.get(0).metrics()).doesNotContain(Metric.AVG_F1);
  }

  @Test
  void averageF1NeedsTheAttributeItAveragesOver() throws Exception {
    List<Benchmarks.Benchmark> b = load("""
        benchmarks {
          h { source = pixiu_headlines, choices = [Yes, No], group_by = question }
        }
        """);
    assertThat(b.get(0).groupBy()).isEqualTo("question");
    assertThat(b.get(0).metrics()).contains(Metric.AVG_F1, Metric.WEIGHTED_F1);
    assertThatThrownBy(() -> load("benchmarks { h { source = x, metrics = [avg_f1, accuracy] "
        + "} }")).isInstanceOf(UserError.class).hasMessageContaining("benchmark 'h'")
        .hasMessageContaining("group_by");
  }

  @Test
  void theShippedFileLoads() {
    assertThat(Benchmarks.load("benchmarks.conf")).extracting(Benchmarks.Benchmark::name)
        .contains("fpb", "fiqa_sa", "tfns", "nwgi", "headlines", "ner", "finqa", "convfinqa",
            "gsm8k", "pixiu_headlines", "pixiu_ner", "pixiu_finqa");
  }

  @Test
  void mistakesNameTheBenchmarkAndKey() {
    assertThatThrownBy(() -> load(
        "benchmarks { a { source = x, kind = numeric, modes = [rank] } }"))
        .isInstanceOf(UserError.class).hasMessageContaining("benchmark 'a'")
        .hasMessageContaining("mode 'rank' does not fit kind numeric");
    assertThatThrownBy(() -> load(
        "benchmarks { a { source = x, primary_metric = missing_rate } }"))
        .isInstanceOf(UserError.class).hasMessageContaining("cannot rank or select");
    assertThatThrownBy(() -> load("benchmarks { a { source = x, metrics = [bleu] } }"))
        .isInstanceOf(UserError.class).hasMessageContaining("metrics").hasMessageContaining("bleu");
    assertThatThrownBy(() -> load("benchmarks { a { source = x, shots = 3 } }"))
        .isInstanceOf(UserError.class).hasMessageContaining("unknown key 'shots'");
  }
}
