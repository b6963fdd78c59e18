package io.finmix.jobs;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    List<String> command = new ArrayList<>();
    command.add(HOME.resolve("bin/finmix").toString());
    command.addAll(List.of(args));
    Path out = Files.createTempFile("finmix-out", ".txt");
    Path err = Files.createTempFile("finmix-err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FINMIX_"));
    pb.environment().put("FINMIX_DRIVER_MEMORY", "2g");
    pb.environment().putAll(env);
    Process p = pb.start();
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
}
