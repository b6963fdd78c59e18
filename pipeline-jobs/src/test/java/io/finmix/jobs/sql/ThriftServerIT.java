package io.finmix.jobs.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.Launcher;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.aggregate.AggregateJob;
import io.finmix.jobs.aggregate.EvalFixtures;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bin/finmix thriftserver and beeline as analysts use them: the leaderboard that aggregate
 * wrote (in this JVM, on hand-made predictions) read over JDBC by the server's own process, on
 * loopback only. One server for all tests.
 */
class ThriftServerIT extends SparkTestBase {

  private static final String RUN = "thrift-it";
  private static Path warehouse;
  private static int port;

  @BeforeAll
  static void startTheServerBesideALeaderboard() throws Exception {
    warehouse = Path.of(WAREHOUSE);
    port = ThriftServerFixture.freePort();
    // The tables and the server at the same time: the server process keeps a Hive metastore
    // of its own, and the Iceberg tables are files both read (saves half a minute here).
    CompletableFuture<CliRunner> tables = CompletableFuture.supplyAsync(() -> {
      EvalFixtures f = new EvalFixtures(RUN);
      for (long seed : List.of(1L, 2L)) {
        f.run("target-s" + seed, "target-only-fpb", seed).run("finance-s" + seed, "finance", seed)
            .predictions("target-s" + seed, 20, "valid", 30, i -> i % 2 == 0)
            .predictions("target-s" + seed, 20, "test", 30, i -> i % 2 == 0)
            .predictions("finance-s" + seed, 20, "valid", 30, i -> i % 4 != 0)
            .predictions("finance-s" + seed, 20, "test", 30, i -> i % 4 != 0);
      }
      f.write(SPARK);
      return CliRunner.run(new AggregateJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
          "--set", "aggregate.resamples=100");
    });
    CliRunner aggregated;
    try {
      ThriftServerFixture.start(warehouse, port);
    } finally {
      aggregated = tables.join();
    }
    assertThat(aggregated.exitCode()).as(aggregated.err()).isZero();
  }

  @AfterAll
  static void stopTheServer() throws Exception {
    if (warehouse != null) {
      ThriftServerFixture.stop(warehouse);
      Launcher.Result status = Launcher.run(ThriftServerFixture.env(warehouse),
          "thriftserver", "status");
      assertThat(status.exitCode()).isEqualTo(3);
      assertThat(status.out()).contains("not running");
    }
  }

  @Test
  void jdbcReturnsTheLeaderboard() throws Exception {
    String query = "SELECT recipe, valid_rank, seeds, test_value, reported_split FROM "
        + "finmix.eval.leaderboard WHERE run_id = '" + RUN + "' AND valid_rank IS NOT NULL "
        + "ORDER BY valid_rank";
    List<List<String>> expected = new ArrayList<>();
    for (Row r : sql(query)) {
      expected.add(List.of(r.getString(0), String.valueOf(r.getInt(1)),
          String.valueOf(r.getInt(2)), String.valueOf(r.getDouble(3)), r.getString(4)));
    }
    assertThat(expected).extracting(r -> r.get(0) + "#" + r.get(1))
        .containsExactly("finance#1", "target-only-fpb#2");
    assertThat(ThriftServerFixture.query(port, query)).isEqualTo(expected);
  }

  @Test
  void beelinePrintsTheRowsAsATable() throws Exception {
    Launcher.Result beeline = Launcher.run(ThriftServerFixture.env(warehouse), "beeline",
        "--port", String.valueOf(port), "-e", "SELECT recipe, valid_rank FROM "
            + "finmix.eval.leaderboard WHERE run_id = '" + RUN + "' AND valid_rank IS NOT NULL "
            + "ORDER BY valid_rank");
    assertThat(beeline.exitCode()).as(beeline.err()).isZero();
    List<String> rows = beeline.out().lines()
        .map(l -> l.replaceAll("\\s+", ""))
        .filter(l -> l.matches("\\|.*\\|"))
        .toList();
    assertThat(rows).containsExactly("|recipe|valid_rank|", "|finance|1|",
        "|target-only-fpb|2|");
  }

  @Test
  void statusSaysRunningAndASecondStartIsRefused() throws Exception {
    Launcher.Result status = Launcher.run(ThriftServerFixture.env(warehouse),
        "thriftserver", "status");
    assertThat(status.exitCode()).as(status.err()).isZero();
    assertThat(status.out()).contains("running", ThriftServerFixture.url(port));

    Launcher.Result again = Launcher.run(ThriftServerFixture.env(warehouse),
        "thriftserver", "start", "--port", String.valueOf(port));
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("already running");
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    connect(InetAddress.getLoopbackAddress()); // throws if the server is not there at all
    List<InetAddress> external = externalAddresses();
    assumeTrue(!external.isEmpty(), "this machine has no non-loopback IPv4 address");
    for (InetAddress address : external) {
      assertThatThrownBy(() -> connect(address))
          .as("%s:%d", address.getHostAddress(), port)
          .isInstanceOf(IOException.class);
    }
  }

  private static void connect(InetAddress address) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
    }
  }

  /** This machine's IPv4 addresses on interfaces that are up, loopback excepted. */
  private static List<InetAddress> externalAddresses() throws IOException {
    List<InetAddress> addresses = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          addresses.add(a);
        }
      }
    }
    return addresses;
  }
}
