package io.finmix.jobs.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.sweep.SweepGrid.Point;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finmix sweep}: the experiment grid of the sweep section, trained, evaluated, aggregated.
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = {
        "Trains every run of the experiment grid (sweep.recipes x sweep.models x sweep.seeds x "
            + "sweep.lora) on the run's packed sequences, at most sweep.concurrency at once, "
            + "evaluates each, then aggregates the run id.",
        "Runs that finished before on the same "
            + "inputs are skipped, stopped runs resume from their last checkpoint, failed attempts "
            + "are retried (sweep.retries). Stop it with Ctrl-C or `finmix sweep --stop` "
            + "(in-flight runs finish first); run it again to go on."
    })
public final class SweepJob extends StageCommand {

  @Option(names = "--plan", description = "Print the grid's training runs and run nothing.")
  boolean plan;

  @Option(names = "--json", description = "With --plan: one line of JSON (for Airflow's "
      + "dynamic task mapping): [{\"train_run\", \"recipe\", \"model\", \"seed\", \"lora\"}].")
  boolean json;

  @Option(names = "--only", split = ",", paramLabel = "NAME",
      description = "Only these training runs of the grid (names as --plan prints them).")
  List<String> only;

  @Option(names = "--stage", paramLabel = "STAGE",
      description = "all (default), train, evaluate or aggregate.")
  String stage = "all";

  @Option(names = "--stop",
      description = "Ask the sweep of this run id that is running to start no further run.")
  boolean stop;

  @ConfigKey("sweep.recipes")
  @Option(names = "--recipes", split = ",", paramLabel = "NAME",
      description = "The grid's recipes (sweep.recipes).")
  List<String> recipes;

  @ConfigKey("sweep.models")
  @Option(names = "--models", split = ",", paramLabel = "PRESET",
      description = "The grid's model presets (sweep.models).")
  List<String> models;

  @ConfigKey("sweep.seeds")
  @Option(names = "--seeds", split = ",", paramLabel = "N",
      description = "The grid's seeds (sweep.seeds).")
  List<Long> seeds;

  @ConfigKey("sweep.concurrency")
  @Option(names = "--concurrency", paramLabel = "N",
      description = "Training runs at once (sweep.concurrency).")
  Integer concurrency;

  @ConfigKey("sweep.retries")
  @Option(names = "--retries", paramLabel = "N",
      description = "More attempts after a failed one (sweep.retries).")
  Integer retries;

  public static void main(String[] args) {
    Commands.main(new SweepJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    List<Point> points = pick(SweepGrid.plan(config), only);
    if (plan) {
      System.out.println(json ? planJson(points) : planText(points));
      return 0;
    }
    if (stop) {
      Sweep.requestStop(config, new org.apache.hadoop.conf.Configuration());
      System.out.println("asked the sweep of run " + config.runId() + " to stop: it starts no "
          + "further run (" + Sweep.stopFile(config) + ")");
      return 0;
    }
    Sweep.Scope s;
    try {
      s = Sweep.Scope.valueOf(stage.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UserError("--stage: '" + stage + "' is not all, train, evaluate or aggregate");
    }
    Sweep.Result r = new Sweep(session(config, "sweep"), config).run(points, s);
    r.print(System.out);
    return r.failed() ? Commands.FAILURE : 0;
  }

  /** The points named by {@code only} (all when it is empty); an unknown name is an error. */
  static List<Point> pick(List<Point> points, List<String> only) {
    if (only == null || only.isEmpty()) {
      return points;
    }
    Set<String> names = new TreeSet<>();
    points.forEach(p -> names.add(p.trainRun()));
    for (String n : only) {
      if (!names.contains(n)) {
        throw new UserError("--only: '" + n + "' is not a training run of the sweep grid (the "
            + "grid has " + names + "; see finmix sweep --plan)");
      }
    }
    return points.stream().filter(p -> only.contains(p.trainRun())).toList();
  }

  static String planJson(List<Point> points) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Point p : points) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("train_run", p.trainRun());
      m.put("recipe", p.recipe());
      m.put("model", p.model());
      m.put("seed", p.seed());
      m.put("lora", p.loraText());
      rows.add(m);
    }
    try {
      return new ObjectMapper().writeValueAsString(rows);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String planText(List<Point> points) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-44s %-24s %-12s %-6s %s%n", "training run", "recipe", "model",
        "seed", "lora"));
    for (Point p : points) {
      b.append(String.format(Locale.ROOT, "%-44s %-24s %-12s %-6d %s%n", p.trainRun(),
          p.recipe(), p.model(), p.seed(), p.loraText() == null ? "off" : p.loraText()));
    }
    b.append(points.size()).append(" training runs");
    return b.toString();
  }
}
