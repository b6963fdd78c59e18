package io.finmix.jobs.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every finmix command takes; they build the {@link FinmixConfig}. */
public final class CommonOptions {

  @Option(names = "--conf-file", paramLabel = "FILE",
      description = "HOCON file merged over conf/finmix.conf.")
  String confFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one config key (repeatable), e.g. --set ingest.max_chars=5000.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--warehouse", paramLabel = "DIR",
      description = "Tables, run reports and generated data (also env FINMIX_WAREHOUSE; "
          + "default ./warehouse).")
  String warehouse;

  @Option(names = "--run-id", paramLabel = "ID",
      description = "Names this run's rows in every table; a re-run with the same id replaces "
          + "them (default: run_id in the config, 'local').")
  String runId;

  /** Loads the config with these options and the command's own flags (key -> value or null). */
  public FinmixConfig load(Map<String, Object> commandFlags) {
    Map<String, Object> flags = new LinkedHashMap<>(commandFlags);
    flags.put("warehouse", warehouse);
    flags.put("run_id", runId);
    return FinmixConfig.load(confFile, sets, FinmixConfig.flags("command-line flags", flags));
  }
}
