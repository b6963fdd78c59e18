package io.finmix.jobs.dedup;

import io.finmix.jobs.text.Shingles;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The near pass after the candidates, on the driver: verification, connected components and
 * marking of a small candidate set in one place, where Spark would run a job per join and per
 * round of components over a few thousand rows. Same rules and same output as {@link
 * NearDuplicates#verify}, {@link ConnectedComponents#of} and {@link NearDuplicates#mark}:
 * {@code NearDuplicatesTest} holds both paths to the same rows.
 */
final class DriverClusters {

  /** Spark's order of strings (unsigned UTF-8 bytes), which names components. */
  private static final Comparator<String> SPARK_ORDER =
      Comparator.comparing(UTF8String::fromString);

  private DriverClusters() {}

  /** A candidate row (the columns {@link NearDuplicates#find} selects), and its node. */
  private record Member(Row row, long[] shingles, int node) {

    String recordId() {
      return row.getAs("record_id");
    }

    Object column(String name) {
      return row.getAs(name);
    }
  }

  /**
   * Every component member's fate, rows of {@link NearDuplicates#mark}'s columns.
   *
   * @param edges candidate edges {@code src, dst} (64-bit ids)
   * @param members the rows on a candidate edge: {@code record_id, id, source, split, label,
   *     split_rank, priority, dedup_text, dedup_apart}, with their schema
   */
  static List<Row> mark(List<Row> edges, List<Row> members, DedupSettings s) {
    Map<Long, List<Member>> byId = new HashMap<>();
    Map<String, Integer> index = new HashMap<>();
    List<Member> nodes = new ArrayList<>();
    for (Row r : members) {
      Integer node = index.putIfAbsent(r.getAs("record_id"), nodes.size());
      Member m = new Member(r, Shingles.ofText(r.getAs("dedup_text"), s.shingle()),
          node == null ? nodes.size() : node);
      if (node == null) {
        nodes.add(m);
      }
      byId.computeIfAbsent(r.getAs("id"), id -> new ArrayList<>(1)).add(m);
    }
    int[] parent = new int[nodes.size()];
    boolean[] linked = new boolean[nodes.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    for (Row e : edges) {
      for (Member a : byId.getOrDefault(e.getLong(0), List.of())) {
        for (Member b : byId.getOrDefault(e.getLong(1), List.of())) {
          if (similar(a, b, s)) {
            int x = find(parent, a.node());
            int y = find(parent, b.node());
            linked[a.node()] = true;
            linked[b.node()] = true;
            parent[Math.max(x, y)] = Math.min(x, y);
          }
        }
      }
    }
    Map<Integer, List<Member>> components = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (linked[i]) {
        components.computeIfAbsent(find(parent, i), c -> new ArrayList<>()).add(nodes.get(i));
      }
    }
    Comparator<Member> rank = Comparator.<Member, Object>comparing(m -> m.column("split_rank"),
        DriverClusters::descendingNullsLast)
        .thenComparing(m -> m.column("priority"), DriverClusters::descendingNullsLast)
        .thenComparing(Member::recordId, SPARK_ORDER);
    List<Row> out = new ArrayList<>();
    for (List<Member> component : components.values()) {
      String name = component.stream().map(Member::recordId).min(SPARK_ORDER).orElseThrow();
      Member kept = component.stream().min(rank).orElseThrow();
      for (Member m : component) {
        double similarity = Shingles.jaccard(m.shingles(), kept.shingles());
        String reason = component.size() > s.maxComponentSize() ? "component_over_cap"
            : m.recordId().equals(kept.recordId()) ? "kept"
            : similarity >= s.representativeThreshold() ? "near_duplicate" : "chain_cut";
        out.add(RowFactory.create(m.recordId(), m.column("source"), m.column("split"),
            m.column("label"), "near:" + name, component.size(), kept.recordId(), similarity,
            reason, reason.equals("near_duplicate") ? "removed" : "kept"));
      }
    }
    return out;
  }

  /** {@link NearDuplicates#verify}'s rule for one candidate pair. */
  private static boolean similar(Member a, Member b, DedupSettings s) {
    Object apart = a.column("dedup_apart");
    return !a.recordId().equals(b.recordId()) && apart != null
        && apart.equals(b.column("dedup_apart"))
        && (!s.verify() || Shingles.jaccard(a.shingles(), b.shingles()) >= s.threshold())
        && (!s.sameLabel() || Objects.equals(a.column("label"), b.column("label")));
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  /** Spark's {@code DESC} (nulls last) of two column values of one type. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int descendingNullsLast(Object a, Object b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return ((Comparable) b).compareTo(a);
  }
}
