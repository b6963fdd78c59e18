package io.finmix.jobs.ingest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.util.AccumulatorV2;

/**
 * What ingest's one pass over the raw files saw besides the records it wrote: outcome counts by
 * source, the quarantined rows themselves (a few, in the usual case), and which sources have
 * records whose natural key may repeat. Spark merges each successful task's tally once (the
 * pass is the result stage of the records write), so the counts are exact.
 *
 * <p>Quarantined rows are kept on the driver only while they are few: a task keeps at most
 * {@code perTask} of a source's, and the merged tally at most {@code total}; a source past
 * either is marked {@link Value#overflowed}, its rows dropped here, and ingest reads that
 * source's quarantine again (a broken file, not the usual case).
 */
public final class IngestTally extends AccumulatorV2<IngestOutcome, IngestTally.Value> {

  private static final long serialVersionUID = 1L;

  /** Counts key for records ("" reason) and for raw rows. */
  public static final String RECORDS = "";
  public static final String RAW = "#raw";

  private final int perTask;
  private final int total;
  private Value value = new Value();

  // the last source's counts, so a run of one source's outcomes skips the outer lookup
  private transient String lastSource;
  private transient Map<String, long[]> lastCounts;
  private transient Map<String, Integer> keptThisTask;

  public IngestTally(int perTask, int total) {
    this.perTask = perTask;
    this.total = total;
  }

  /** The tally's contents. */
  public static final class Value implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** Per source: count by reason code, {@link #RECORDS} for records, {@link #RAW} raw rows. */
    public final Map<String, Map<String, long[]>> counts = new HashMap<>();
    /** Quarantined outcomes; none of an {@link #overflowed} source (add and merge drop them). */
    public final List<IngestOutcome> quarantined = new ArrayList<>();
    /** Sources with too many quarantined rows to hold here. */
    public final Set<String> overflowed = new HashSet<>();
    /** Sources with a record whose id comes from its fields (it may repeat). */
    public final Set<String> mayCollide = new HashSet<>();

    /** Counts in one sorted map per source. */
    public Map<String, TreeMap<String, Long>> sortedCounts() {
      Map<String, TreeMap<String, Long>> out = new TreeMap<>();
      counts.forEach((s, c) -> {
        TreeMap<String, Long> sorted = new TreeMap<>();
        c.forEach((k, n) -> sorted.put(k, n[0]));
        out.put(s, sorted);
      });
      return out;
    }

    private void merge(Value o, int total) {
      o.counts.forEach((s, c) -> {
        Map<String, long[]> mine = counts.computeIfAbsent(s, k -> new HashMap<>());
        c.forEach((k, n) -> mine.computeIfAbsent(k, x -> new long[1])[0] += n[0]);
      });
      overflowed.addAll(o.overflowed);
      mayCollide.addAll(o.mayCollide);
      quarantined.addAll(o.quarantined);
      quarantined.removeIf(q -> overflowed.contains(q.source));
      if (quarantined.size() > total) {
        quarantined.forEach(q -> overflowed.add(q.source));
        quarantined.clear();
      }
    }
  }

  @Override
  public boolean isZero() {
    return value.counts.isEmpty() && value.quarantined.isEmpty() && value.overflowed.isEmpty()
        && value.mayCollide.isEmpty();
  }

  @Override
  public IngestTally copy() {
    IngestTally c = new IngestTally(perTask, total);
    c.value.merge(value, Integer.MAX_VALUE);
    return c;
  }

  @Override
  public void reset() {
    value = new Value();
    lastSource = null;
    lastCounts = null;
    keptThisTask = null;
  }

  @Override
  public void add(IngestOutcome o) {
    if (!o.source.equals(lastSource)) {
      lastSource = o.source;
      lastCounts = value.counts.computeIfAbsent(o.source, k -> new HashMap<>());
    }
    lastCounts.computeIfAbsent(o.isRecord ? RECORDS : o.reason, k -> new long[1])[0]++;
    if (o.firstOfRaw) {
      lastCounts.computeIfAbsent(RAW, k -> new long[1])[0]++;
    }
    if (o.isRecord) {
      if (o.keyMayCollide) {
        value.mayCollide.add(o.source);
      }
      return;
    }
    if (value.overflowed.contains(o.source)) {
      return;
    }
    if (keptThisTask == null) {
      keptThisTask = new HashMap<>();
    }
    if (keptThisTask.merge(o.source, 1, Integer::sum) > perTask) {
      value.overflowed.add(o.source);
      value.quarantined.removeIf(q -> q.source.equals(o.source));
    } else {
      value.quarantined.add(o);
    }
  }

  @Override
  public void merge(AccumulatorV2<IngestOutcome, Value> other) {
    value.merge(other.value(), total);
  }

  @Override
  public Value value() {
    return value;
  }
}
