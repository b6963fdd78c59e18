package io.finmix.jobs.ingest;

import static io.finmix.jobs.ingest.IngestFixtures.specs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.UserError;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesFileTest {

  @TempDir
  Path dir;

  private void fails(String body, String... expected) {
    assertThatThrownBy(() -> specs(dir, body)).isInstanceOf(UserError.class)
        .hasMessageContaining("sources-").hasMessageContainingAll(expected);
  }

  @Test
  void theShippedSourceFilesParse() {
    List<SourceSpec> pub = SourcesFile.load("sources/public.conf", dir.toString(), List.of(), 10);
    assertThat(pub).extracting(SourceSpec::name).containsExactly("alpaca_demo", "alpaca_seed",
        "fiqa_sa", "fpb", "gsm8k", "pixiu_finqa", "pixiu_fiqasa", "pixiu_headlines",
        "pixiu_ner", "svamp", "tfns");
    assertThat(pub).allSatisfy(s -> assertThat(s.dataRoot()).isEqualTo(dir.toString()));
    List<SourceSpec> sample = SourcesFile.load("sources/sample.conf", dir.toString(),
        List.of("nwgi", "fpb"), 10);
    assertThat(sample).extracting(SourceSpec::name).containsExactly("fpb", "nwgi");
    assertThat(sample.get(1).format()).isEqualTo(Format.PARQUET);
  }

  @Test
  void mistakesNameTheSourceKeyAndFile() {
    fails("s { adapter = nope, files = [x] }", "source 's'", "adapter", "unknown adapter 'nope'",
        "fpb_csv");
    fails("s { files = [x] }", "adapter", "is required");
    fails("s { adapter = fpb_csv, filez = [x], split = train }", "filez", "unknown key");
    fails("s { adapter = fpb_csv, split = train }", "files", "is required");
    fails("s { adapter = fpb_csv, files = [x], split = holdout }", "split", "'holdout'");
    fails("s { adapter = fpb_csv, files = [x], split { hash { train = 0.8, test = 0.1 } } }",
        "split.hash", "sum to 0.9");
    fails("s { adapter = fpb_csv, files = [x] }", "split", "is required");
    fails("s { adapter = generic, format = xml, files = [x], split = train }", "format",
        "unknown format 'xml'");
    fails("s { adapter = alpaca_json, files = [x], split = train, encoding = latin1 }",
        "encoding", "must be UTF-8");
    fails("s { adapter = fpb_csv, files = [x], split = train, labels { good = great } }",
        "labels", "'great'", "not in choices");
    fails("s { adapter = gsm8k_jsonl, files = [x], split = train, label_pattern = \"(\" }",
        "label_pattern", "invalid regex");
    fails("s { adapter = generic, format = jsonl, files = [x], split = train, task = t, "
        + "domain = space, fields { input = q } }", "domain", "'space'");
    fails("s { adapter = gsm8k_jsonl, files = [x], split = train, label_pattern = \"####.*\" }",
        "label_pattern", "needs a group");
    fails("s { adapter = tfns_csv, files = [x], split = train, encoding = UTF-16 }",
        "encoding", "not ASCII-compatible");
    fails("s { adapter = tfns_csv, files = [x], split = train, csv { delimeter = \";\" } }",
        "csv.delimeter", "unknown key");
    fails("s { adapter = fpb_csv, files = [x], split { hash { train = 1.0 }, sed = 7 } }",
        "split.sed", "unknown key");
    fails("s { adapter = fpb_csv, files = [{ path = x, splt = train }], split = train }",
        "files entry.splt", "unknown key");
    fails("s { adapter = fpb_csv, files = [x], split = train, max_chars = 0 }",
        "max_chars", "must be positive");
  }

  @Test
  void aDeclaredFileThatMatchesNothingIsAUserError() {
    SourceSpec spec = specs(dir, "fpb { adapter = fpb_csv, files = [\"fpb/missing-*.csv\"], "
        + "split = train }").get(0);
    assertThatThrownBy(() -> IngestPlan.plan(new Configuration(), List.of(spec), 1000))
        .isInstanceOf(UserError.class)
        .hasMessageContainingAll("source 'fpb'", "no file matches fpb/missing-*.csv",
            dir.toString());
  }

  @Test
  void anUnknownSourceInOnlyIsAUserError() {
    assertThatThrownBy(() -> SourcesFile.load("sources/public.conf", dir.toString(),
        List.of("fpb", "fbp"), 10))
        .isInstanceOf(UserError.class).hasMessageContaining("unknown source 'fbp'");
  }
}
