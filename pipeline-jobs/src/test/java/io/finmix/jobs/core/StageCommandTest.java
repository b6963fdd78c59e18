package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.FinmixCli;
import io.finmix.jobs.train.TrainJob;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Option;

class StageCommandTest {

  @Test
  void anOptionGivenSetsItsKeyAndOneNotGivenSetsNothing() {
    TrainJob job = new TrainJob();
    new CommandLine(job).parseArgs("--lr", "0.5", "--steps", "7", "--no-lora", "--resume");
    Map<String, Object> flags = ((StageCommand) job).flags();
    assertThat(flags).containsEntry("train.lr", 0.5).containsEntry("train.steps", 7L)
        .containsEntry("train.lora.enabled", false).containsEntry("train.recipe", null);
    // --resume is an option of the command, not a config key
    assertThat(flags.keySet()).allMatch(k -> k.startsWith("train."));
    FinmixConfig config = job.common.load(flags);
    assertThat(config.config().getDouble("train.lr")).isEqualTo(0.5);
    assertThat(config.config().getLong("train.steps")).isEqualTo(7L);
    assertThat(config.config().getString("train.recipe"))
        .isEqualTo(FinmixConfig.defaults().config().getString("train.recipe"));
  }

  @Test
  void everyBoundOptionNamesADeclaredKey() {
    FinmixConfig defaults = FinmixConfig.defaults();
    List<String> bound = new ArrayList<>();
    for (Class<?> command : FinmixCli.class.getAnnotation(CommandLine.Command.class)
        .subcommands()) {
      for (Field f : command.getDeclaredFields()) {
        ConfigKey key = f.getAnnotation(ConfigKey.class);
        if (key != null) {
          assertThat(f.getAnnotation(Option.class)).as(command + "." + f.getName()).isNotNull();
          assertThat(defaults.config().hasPathOrNull(key.value()))
              .as(command.getSimpleName() + " binds " + key.value()).isTrue();
          bound.add(key.value());
        }
      }
    }
    assertThat(bound).contains("ingest.sources", "train.lr", "evaluate.max_rows",
        "sweep.recipes", "pretrain.steps").hasSizeGreaterThanOrEqualTo(42);
  }
}
