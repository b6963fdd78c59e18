package io.finmix.jobs.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.SparkTestBase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest extends SparkTestBase {

  private static final StructType EDGES = new StructType()
      .add("src", DataTypes.StringType).add("dst", DataTypes.StringType);

  private static Map<String, String> components(List<String[]> edges) {
    List<Row> rows = new ArrayList<>();
    for (String[] e : edges) {
      rows.add(RowFactory.create(e[0], e[1]));
    }
    Dataset<Row> result = ConnectedComponents.of(SPARK.createDataFrame(rows, EDGES), 40);
    Map<String, String> out = new HashMap<>();
    for (Row r : result.collectAsList()) {
      assertThat(out.put(r.getString(0), r.getString(1))).as("node %s once", r.get(0)).isNull();
    }
    return out;
  }

  @Test
  void chainsStarsAndSeparateComponents() {
    Map<String, String> c = components(List.of(
        new String[] {"n4", "n3"}, new String[] {"n3", "n2"}, new String[] {"n2", "n1"},
        new String[] {"n5", "n4"}, new String[] {"x9", "x1"}, new String[] {"x9", "x2"},
        new String[] {"x2", "x9"}, new String[] {"p", "p"}, new String[] {"q", "r"}));
    assertThat(c).containsEntry("n5", "n1").containsEntry("n4", "n1").containsEntry("n1", "n1")
        .containsEntry("x9", "x1").containsEntry("x2", "x1").containsEntry("x1", "x1")
        .containsEntry("r", "q").containsEntry("q", "q").doesNotContainKey("p");
    assertThat(c).hasSize(10);
  }

  @Test
  void agreesWithUnionFindOnARandomGraph() {
    Random random = new Random(5);
    List<String[]> edges = new ArrayList<>();
    int[] parent = new int[600];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    for (int i = 0; i < 500; i++) {
      int a = random.nextInt(600);
      int b = random.nextInt(600);
      edges.add(new String[] {String.format("v%03d", a), String.format("v%03d", b)});
      parent[find(parent, a)] = find(parent, b);
    }
    Map<String, String> c = components(edges);
    Map<Integer, String> smallest = new HashMap<>();
    for (String node : c.keySet()) {
      int root = find(parent, Integer.parseInt(node.substring(1)));
      smallest.merge(root, node, (x, y) -> x.compareTo(y) <= 0 ? x : y);
    }
    for (Map.Entry<String, String> e : c.entrySet()) {
      assertThat(e.getValue()).as(e.getKey())
          .isEqualTo(smallest.get(find(parent, Integer.parseInt(e.getKey().substring(1)))));
    }
  }

  private static int find(int[] parent, int x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
}
