package io.finmix.jobs.ingest;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One source, fully resolved from a sources file and its adapter preset: where the raw files
 * are, how to read them, and how a native row becomes a unified record. Immutable and
 * serializable: it travels to the executors that read the files.
 */
public record SourceSpec(
    String name,
    String adapter,
    String origin,
    Format format,
    String encoding,
    String dataRoot,
    List<FileEntry> files,
    CsvOptions csv,
    LinesOptions lines,
    JsonOptions json,
    FieldPath explode,
    Mapping mapping,
    String task,
    String domain,
    SplitRule split,
    String license,
    int priority,
    int maxChars)
    implements Serializable {

  /** A declared file or glob, relative to the data root, with per-file split and attributes. */
  public record FileEntry(String path, String split, Map<String, String> attributes)
      implements Serializable {}

  /** CSV layout: a header row, or the column names to use. */
  public record CsvOptions(boolean header, List<String> columns, byte delimiter, byte quote)
      implements Serializable {}

  /** Text-line layout: split each line at the last separator into the named columns. */
  public record LinesOptions(String separator, List<String> columns) implements Serializable {}

  /** JSON document layout: records are an array's elements or an object's values. */
  public record JsonOptions(boolean objectValues, List<String> path) implements Serializable {}

  /** A full prompt split into instruction and input by a regex with those named groups. */
  public record PromptRule(FieldPath path, Pattern pattern) implements Serializable {}

  /** A continuous score binned into three labels: below, between (inclusive), above. */
  public record ScoreRule(FieldPath path, double below, double above, List<String> labels)
      implements Serializable {}

  /** An attribute taken from the file name: group 1 of a regex, optionally renamed. */
  public record FileAttribute(Pattern pattern, Map<String, String> values)
      implements Serializable {}

  /**
   * An attribute taken from a record: the value at {@code path}, or, with a {@code pattern},
   * its first match's group 1 (absent when it does not match).
   */
  public record AttributeRule(FieldPath path, Pattern pattern) implements Serializable {}

  /** How a native row maps to a unified record. Paths may be $key, $item, $file, $offset. */
  public record Mapping(
      FieldPath instruction,
      List<FieldPath> input,
      String inputJoin,
      FieldPath output,
      FieldPath label,
      FieldPath choicesPath,
      PromptRule prompt,
      List<String> choices,
      Map<String, String> labels,
      FieldPath labelIndex,
      Pattern labelPattern,
      boolean labelIsNumber,
      ScoreRule scoreLabel,
      Map<String, AttributeRule> attributes,
      Map<String, FileAttribute> fileAttributes,
      List<FieldPath> key,
      List<FieldPath> required,
      boolean allowEmptyInput)
      implements Serializable {}
}
