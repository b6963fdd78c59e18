package io.finmix.jobs.ingest;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.JavaConverters;

/**
 * Where one unit of a raw row ended: a unified record, or quarantine with a reason. A raw row
 * yields one outcome, or one per element when the source explodes an array; {@link #firstOfRaw}
 * marks the first, so raw rows can be counted.
 */
public final class IngestOutcome implements Serializable {

  private static final long serialVersionUID = 1L;

  public final boolean isRecord;
  public final boolean firstOfRaw;
  public final String source;
  public final String sourceFile;
  public final long sourceOffset;
  public final int sourceItem;

  // A record's fields (null for quarantine).
  public final String recordId;
  public final String task;
  public final String domain;
  public final String split;
  public final String instruction;
  public final String input;
  public final String output;
  public final List<String> choices;
  public final String label;
  public final Map<String, String> attributes;
  public final String license;
  public final int priority;
  public final String textHash;
  /** Whether the record's id comes from fields of the record, so two rows may share it. */
  public final boolean keyMayCollide;

  // Quarantine fields (null for a record).
  public final String reason;
  public final String detail;
  public final String raw;

  private IngestOutcome(boolean isRecord, boolean firstOfRaw, String source, String sourceFile,
      long sourceOffset, int sourceItem, String recordId, String task, String domain, String split,
      String instruction, String input, String output, List<String> choices, String label,
      Map<String, String> attributes, String license, int priority, String textHash,
      boolean keyMayCollide, String reason, String detail, String raw) {
    this.isRecord = isRecord;
    this.firstOfRaw = firstOfRaw;
    this.source = source;
    this.sourceFile = sourceFile;
    this.sourceOffset = sourceOffset;
    this.sourceItem = sourceItem;
    this.recordId = recordId;
    this.task = task;
    this.domain = domain;
    this.split = split;
    this.instruction = instruction;
    this.input = input;
    this.output = output;
    this.choices = choices;
    this.label = label;
    this.attributes = attributes;
    this.license = license;
    this.priority = priority;
    this.textHash = textHash;
    this.keyMayCollide = keyMayCollide;
    this.reason = reason;
    this.detail = detail;
    this.raw = raw;
  }

  /** An accepted record. */
  public static IngestOutcome record(boolean firstOfRaw, SourceSpec spec, String sourceFile,
      long offset, int item, String recordId, String split, String instruction, String input,
      String output, List<String> choices, String label, Map<String, String> attributes,
      String textHash, boolean keyMayCollide) {
    // Plain ArrayList/TreeMap: outcomes are cached with Spark's serializer (Kryo on clusters),
    // which cannot rebuild List.of()-style immutable collections.
    return new IngestOutcome(true, firstOfRaw, spec.name(), sourceFile, offset, item, recordId,
        spec.task(), spec.domain(), split, instruction, input, output,
        choices == null ? null : new ArrayList<>(choices), label, new TreeMap<>(attributes),
        spec.license(), spec.priority(), textHash, keyMayCollide, null, null, null);
  }

  /** A quarantined row (or unit of a row). */
  public static IngestOutcome quarantine(boolean firstOfRaw, String source, String sourceFile,
      long offset, int item, QuarantineReason reason, String detail, String raw) {
    return new IngestOutcome(false, firstOfRaw, source, sourceFile, offset, item, null, null, null,
        null, null, null, null, null, null, null, null, 0, null, false, reason.code(), detail,
        raw);
  }

  /** The row for {@code corpus.records}, in the declared column order. */
  public Row toRecordRow(String runId) {
    return RowFactory.create(recordId, source, task, domain, split, instruction, input, output,
        choices == null ? null : JavaConverters.asScalaBuffer(choices),
        label, JavaConverters.mapAsScalaMap(attributes), license, priority, sourceFile, sourceOffset, sourceItem, textHash, runId);
  }

  /** The row for {@code corpus.quarantine}, in the declared column order. */
  public Row toQuarantineRow(String runId) {
    return RowFactory.create(source, sourceFile, sourceOffset, sourceItem, reason, detail, raw,
        runId);
  }
}
