package io.finmix.jobs;

import io.finmix.jobs.core.Commands;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs a finmix command in this JVM and keeps its exit code and what it printed. */
public record CliRunner(int exitCode, String out, String err) {

  public static CliRunner run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Commands.execute(command, new PrintWriter(out), new PrintWriter(err), args);
    return new CliRunner(code, out.toString(), err.toString());
  }
}
