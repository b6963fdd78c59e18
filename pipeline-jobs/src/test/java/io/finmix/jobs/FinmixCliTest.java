package io.finmix.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.run.RunJob;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.sql.SqlShellJob;
import org.junit.jupiter.api.Test;

class FinmixCliTest {

  @Test
  void everyLevelHasHelp() {
    CliRunner top = CliRunner.run(new FinmixCli(), "--help");
    assertThat(top.exitCode()).isZero();
    assertThat(top.out()).contains("Usage: finmix", "run", "sample-data", "ingest", "sql",
        "--master URL");
    for (String command : new String[] {"run", "sample-data", "ingest", "sql"}) {
      CliRunner help = CliRunner.run(new FinmixCli(), command, "--help");
      assertThat(help.exitCode()).as(command).isZero();
      assertThat(help.out()).as(command).contains("Usage: finmix " + command, "--conf-file",
          "--set", "--warehouse", "--run-id");
    }
    assertThat(CliRunner.run(new FinmixCli(), "help", "ingest").out())
        .contains("--sources", "--only", "--data-root");
  }

  @Test
  void eachStageIsAlsoItsOwnMainClass() {
    assertThat(CliRunner.run(new IngestJob(), "--help").out()).contains("Usage: ingest");
    assertThat(CliRunner.run(new SampleDataJob(), "--help").out()).contains("--out", "--seed");
    assertThat(CliRunner.run(new SqlShellJob(), "--help").out()).contains("-e", "-f");
    assertThat(CliRunner.run(new RunJob(), "--help").out()).contains("sample-data", "ingest");
  }

  @Test
  void usageMistakesExitWithTwoAndSayWhy() {
    CliRunner none = CliRunner.run(new FinmixCli());
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("missing command");
    CliRunner unknown = CliRunner.run(new FinmixCli(), "ingets");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("ingets");
    CliRunner badOption = CliRunner.run(new FinmixCli(), "ingest", "--sorces", "x");
    assertThat(badOption.exitCode()).isEqualTo(2);
    assertThat(badOption.err()).contains("--sorces");
    CliRunner badKey = CliRunner.run(new FinmixCli(), "sample-data", "--set", "sample_data.sede=1");
    assertThat(badKey.exitCode()).isEqualTo(2);
    assertThat(badKey.err()).contains("finmix sample-data: error:", "sample_data.sede");
  }
}
