package io.finmix.jobs.sql;

import io.finmix.jobs.Launcher;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Thrift server started through {@code bin/finmix thriftserver} on a test's warehouse, and
 * JDBC queries against it, for integration tests that read finmix tables as analysts do.
 */
public final class ThriftServerFixture {

  private ThriftServerFixture() {}

  /** The environment that points bin/finmix at a warehouse. */
  public static Map<String, String> env(Path warehouse) {
    return Map.of("FINMIX_WAREHOUSE", warehouse.toString());
  }

  /** A port nothing listens on now (never 10000, where a developer's own server may run). */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The JDBC URL of a server on this machine's loopback. */
  public static String url(int port) {
    return "jdbc:hive2://127.0.0.1:" + port + "/default";
  }

  /**
   * {@code bin/finmix thriftserver start --port P} on the warehouse; returns once the server
   * accepts connections, or fails with the launcher's output (which ends with the log's tail).
   */
  public static void start(Path warehouse, int port) throws Exception {
    Launcher.Result r = Launcher.run(env(warehouse), "thriftserver", "start", "--port",
        String.valueOf(port));
    if (r.exitCode() != 0) {
      throw new AssertionError("bin/finmix thriftserver start failed (exit " + r.exitCode()
          + "):\n" + r.out() + r.err());
    }
  }

  /** {@code bin/finmix thriftserver stop} on the warehouse (nothing to do when not running). */
  public static void stop(Path warehouse) throws Exception {
    Launcher.Result r = Launcher.run(env(warehouse), "thriftserver", "stop");
    if (r.exitCode() != 0) {
      throw new AssertionError("bin/finmix thriftserver stop failed (exit " + r.exitCode()
          + "):\n" + r.out() + r.err());
    }
  }

  /** Runs one query over JDBC; every value as its string (null stays null), row by row. */
  public static List<List<String>> query(int port, String sql) throws SQLException {
    try {
      // hive-jdbc registers itself through java.sql.Driver, but only if its class is loaded
      // by the class loader DriverManager asks; naming it avoids depending on that.
      Class.forName("org.apache.hive.jdbc.HiveDriver");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("hive-jdbc is not on the classpath", e);
    }
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url(port), "", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(columns);
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }
}
