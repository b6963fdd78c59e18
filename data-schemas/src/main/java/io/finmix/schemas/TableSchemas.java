package io.finmix.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.StructType;

/**
 * Loads the declared schema of every catalog table from {@code finmix-schemas/<table>.sql}.
 *
 * <p>A schema file is one {@code CREATE TABLE finmix.<namespace>.<table> (...)} statement in
 * Spark SQL DDL, with {@code --} comments. The jobs run it to create their tables and the tests
 * hold every written table against it, column for column.
 */
public final class TableSchemas {

  /** The Iceberg catalog every finmix table lives in. */
  public static final String CATALOG = "finmix";

  private static final String DIR = "finmix-schemas/";
  private static final Pattern CREATE =
      Pattern.compile("(?is)^CREATE TABLE\\s+" + CATALOG + "\\.([a-z0-9_]+\\.[a-z0-9_]+)\\s*\\(");
  private static final Pattern LIKE = Pattern.compile("(?i)LIKE\\s+([a-z0-9_]+\\.[a-z0-9_]+)");
  private static final Pattern PARTITIONED = Pattern.compile("(?is)\\)\\s*USING\\s+iceberg\\s+"
      + "(?:PARTITIONED BY\\s*\\(([^)]*)\\))?");

  private TableSchemas() {}

  /** Names of all declared tables, in the order of {@code tables.txt}. */
  public static List<String> tableNames() {
    List<String> names = new ArrayList<>();
    for (String line : read(DIR + "tables.txt").split("\n")) {
      if (!line.isBlank()) {
        names.add(line.trim());
      }
    }
    return names;
  }

  /** The declared schema of {@code table} ({@code corpus.records} or {@code finmix.corpus.records}). */
  public static TableSchema load(String table) {
    String name = table.startsWith(CATALOG + ".") ? table.substring(CATALOG.length() + 1) : table;
    String file = DIR + name + ".sql";
    if (!tableNames().contains(name)) {
      throw new IllegalArgumentException("no declared schema for table '" + table + "' (known: "
          + tableNames() + ")");
    }
    List<String> statements = splitStatements(stripComments(read(file)));
    String ddl = statements.get(0);
    Matcher create = CREATE.matcher(ddl);
    if (!create.find() || !create.group(1).equals(name)) {
      throw new IllegalStateException(file + ": expected 'CREATE TABLE " + CATALOG + "." + name
          + " (' at the start");
    }
    int open = create.end() - 1;
    int close = matchingParen(ddl, open, file);
    String columns = ddl.substring(open + 1, close).trim();
    Matcher like = LIKE.matcher(columns);
    if (like.matches()) { // (LIKE corpus.records): the same columns as another declared table
      columns = columnsOf(load(like.group(1)).createStatement());
      ddl = ddl.substring(0, open + 1) + "\n" + columns + "\n" + ddl.substring(close);
      close = open + columns.length() + 2;
    }
    StructType schema = StructType.fromDDL(columns);
    Matcher tail = PARTITIONED.matcher(ddl);
    if (!tail.find(close)) {
      throw new IllegalStateException(file + ": expected 'USING iceberg' after the column list");
    }
    List<String> partitions = tail.group(1) == null
        ? List.of()
        : Arrays.stream(tail.group(1).split(",")).map(String::trim).toList();
    for (String p : partitions) {
      if (!Arrays.asList(schema.fieldNames()).contains(p)) {
        throw new IllegalStateException(file + ": partition column '" + p + "' is not a column");
      }
    }
    return new TableSchema(name, schema, partitions, ddl, statements.subList(1, statements.size()));
  }

  /** Splits on semicolons outside quoted strings; drops empty statements. */
  private static List<String> splitStatements(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == 0 && c == ';') {
        out.add(current.toString().trim());
        current.setLength(0);
        continue;
      }
      if (quote != 0 && c == '\\' && i + 1 < s.length()) {
        current.append(c).append(s.charAt(++i));
        continue;
      }
      if (quote == 0 && (c == '\'' || c == '"' || c == '`')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      current.append(c);
    }
    out.add(current.toString().trim());
    out.removeIf(String::isEmpty);
    return out;
  }

  /** The column list of a CREATE TABLE statement. */
  private static String columnsOf(String createStatement) {
    int open = createStatement.indexOf('(');
    return createStatement.substring(open + 1, matchingParen(createStatement, open, "")).trim();
  }

  /** Index of the parenthesis closing the one at {@code open}, skipping quoted strings. */
  private static int matchingParen(String s, int open, String file) {
    int depth = 0;
    char quote = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalStateException(file + ": unbalanced parentheses in the column list");
  }

  /** Drops {@code --} comments outside quoted strings. */
  private static String stripComments(String s) {
    StringBuilder out = new StringBuilder(s.length());
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == 0 && c == '-' && i + 1 < s.length() && s.charAt(i + 1) == '-') {
        while (i < s.length() && s.charAt(i) != '\n') {
          i++;
        }
        out.append('\n');
        continue;
      }
      if (quote != 0 && c == '\\') {
        out.append(c);
        if (i + 1 < s.length()) {
          out.append(s.charAt(++i));
        }
        continue;
      }
      if (quote == 0 && (c == '\'' || c == '"' || c == '`')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      out.append(c);
    }
    return out.toString();
  }

  private static String read(String resource) {
    try (InputStream in = TableSchemas.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("schema resource missing from the classpath: " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
