package io.finmix.jobs.core;

import java.io.PrintStream;

/** What a stage leaves for its user: a summary printed when it is done. */
public interface StageResult {

  /** Prints the summary (tables, counts, where the report is) to {@code out}. */
  void print(PrintStream out);

  /** A result with nothing to print. */
  StageResult NONE = out -> { };
}
