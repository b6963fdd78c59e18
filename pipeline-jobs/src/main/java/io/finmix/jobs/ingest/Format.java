package io.finmix.jobs.ingest;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The native layouts ingest can read. */
public enum Format {
  /** RFC 4180 CSV (quoted fields may span lines), any ASCII-compatible charset. */
  CSV(false),
  /** One JSON object per line. */
  JSONL(true),
  /** One JSON document: an array of records, or an object whose values are records. */
  JSON(false),
  /** Plain text lines split at a separator ({@code sentence@label}). */
  LINES(true),
  /** Parquet files, read by Spark. */
  PARQUET(false);

  /** Whether one file can be read in parallel slices at line boundaries. */
  public final boolean lineOriented;

  Format(boolean lineOriented) {
    this.lineOriented = lineOriented;
  }

  /** Parses a config value; null when unknown. */
  public static Format parse(String s) {
    for (Format f : values()) {
      if (f.name().equalsIgnoreCase(s)) {
        return f;
      }
    }
    return null;
  }

  public static String names() {
    return Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }
}
