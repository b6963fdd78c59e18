package io.finmix.jobs;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Runs bin/finmix of this checkout as a separate process. */
public final class Launcher {

  /** The checkout root (tests run in pipeline-jobs/). */
  public static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  public record Result(int exitCode, String out, String err) {}

  private Launcher() {}

  public static Result run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  /** Runs with extra environment variables; FINMIX_* variables of this JVM are not passed. */
  public static Result run(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile("finmix-out", ".txt");
    Path err = Files.createTempFile("finmix-err", ".txt");
    Process p = builder(env, args).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("bin/finmix " + String.join(" ", args) + " did not finish");
    }
    Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    new File(out.toString()).delete();
    new File(err.toString()).delete();
    return r;
  }

  /**
   * Starts bin/finmix in the background, stdout and stderr to {@code log}; the process is
   * the driver's JVM itself (bin/finmix execs java), so killing it kills the driver.
   */
  public static Process start(Map<String, String> env, Path log, String... args)
      throws Exception {
    return builder(env, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Waits until {@code done} holds, looking every {@code pollMillis}; fails, with the log, when
   * the process ends first or after 10 minutes.
   */
  public static void awaitWhileRunning(Process p, Path log, String what, long pollMillis,
      Callable<Boolean> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!done.call()) {
      if (!p.isAlive()) {
        throw new AssertionError("bin/finmix ended (exit " + p.exitValue() + ") before " + what
            + ":\n" + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " after 10 minutes:\n" + Files.readString(log));
      }
      Thread.sleep(pollMillis);
    }
  }

  private static ProcessBuilder builder(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(HOME.resolve("bin/finmix").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FINMIX_"));
    pb.environment().put("FINMIX_DRIVER_MEMORY", "2g");
    pb.environment().putAll(env);
    return pb;
  }
}
