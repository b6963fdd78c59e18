package io.finmix.jobs.ingest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of one source, in and out: raw rows read, records kept, and quarantined units by
 * reason. A raw row that explodes into several records counts once as raw.
 */
public final class IngestStats {

  public long files;
  public long bytes;
  public long rawRows;
  public long records;
  public final TreeMap<String, Long> quarantined = new TreeMap<>();

  public long quarantinedTotal() {
    return quarantined.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The report form: plain maps of numbers. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("files", files);
    m.put("bytes", bytes);
    m.put("raw_rows", rawRows);
    m.put("records", records);
    m.put("quarantined", quarantinedTotal());
    m.put("quarantined_by_reason", new TreeMap<>(quarantined));
    return m;
  }

  /** Adds another source's counts (for the total line). */
  public void add(IngestStats o) {
    files += o.files;
    bytes += o.bytes;
    rawRows += o.rawRows;
    records += o.records;
    o.quarantined.forEach((k, v) -> quarantined.merge(k, v, Long::sum));
  }
}
