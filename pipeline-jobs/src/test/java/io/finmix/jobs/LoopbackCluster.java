package io.finmix.jobs;

import io.finmix.jobs.sql.ThriftServerFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on loopback for integration tests: a Master on a free port and
 * two Workers of one core and 2 GB, started and stopped by {@code bin/finmix cluster} on a
 * test's warehouse (pids and logs under {@code <warehouse>/cluster}); commands go to it through
 * bin/finmix, as users submit them.
 */
public final class LoopbackCluster implements AutoCloseable {

  private final Map<String, String> env;
  private final Path dir;
  private final String master;

  private LoopbackCluster(String warehouse, int port) {
    this.env = Map.of("FINMIX_WAREHOUSE", warehouse);
    this.dir = Path.of(warehouse, "cluster");
    this.master = "spark://127.0.0.1:" + port;
  }

  /** {@code bin/finmix cluster start --workers 2 --cores 1 --memory 2g} on a free port. */
  public static LoopbackCluster start(String warehouse) throws Exception {
    LoopbackCluster c = new LoopbackCluster(warehouse, ThriftServerFixture.freePort());
    Launcher.Result r = Launcher.run(c.env, "cluster", "start", "--workers", "2", "--cores",
        "1", "--memory", "2g", "--port", c.master.substring(c.master.lastIndexOf(':') + 1));
    if (r.exitCode() != 0) {
      throw new AssertionError("bin/finmix cluster start failed (exit " + r.exitCode() + "):\n"
          + r.out() + r.err());
    }
    return c;
  }

  /** The Master's URL, {@code spark://127.0.0.1:PORT}. */
  public String master() {
    return master;
  }

  /** {@code bin/finmix cluster stop}. */
  @Override
  public void close() throws Exception {
    Launcher.run(env, "cluster", "stop");
  }

  /** bin/finmix's arguments that submit {@code command} to this cluster (executors of 1 GB). */
  public String[] args(String... command) {
    List<String> a = new ArrayList<>(List.of("--master", master, "--conf",
        "spark.executor.memory=1g"));
    a.addAll(List.of(command));
    return a.toArray(new String[0]);
  }

  /** Runs {@code command} on this cluster and waits for it; says how long it took. */
  public Launcher.Result submit(String... command) throws Exception {
    long started = System.nanoTime();
    Launcher.Result r = Launcher.run(env, args(command));
    System.out.printf(Locale.ROOT, "bin/finmix %s ...: exit %d in %.1f s%n", command[0],
        r.exitCode(), (System.nanoTime() - started) / 1e9);
    return r;
  }

  /** Starts {@code command} on this cluster in the background, its output to {@code log}. */
  public Process submitInBackground(Path log, String... command) throws Exception {
    return Launcher.start(env, log, args(command));
  }

  /** The pid of Worker {@code i} (1-based). */
  public long workerPid(int i) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve("worker-" + i + ".pid")).trim());
  }

  /** How many applications the Master has registered so far (drivers that got a session). */
  public long applications() throws IOException {
    return applicationsByName().values().stream().mapToLong(Integer::longValue).sum();
  }

  /** The applications the Master has registered so far, by name, in order of first start. */
  public Map<String, Integer> applicationsByName() throws IOException {
    Map<String, Integer> apps = new LinkedHashMap<>();
    Matcher m = Pattern.compile("Master: Registering app (\\S+)")
        .matcher(Files.readString(dir.resolve("logs/master.log")));
    while (m.find()) {
      apps.merge(m.group(1), 1, Integer::sum);
    }
    return apps;
  }
}
