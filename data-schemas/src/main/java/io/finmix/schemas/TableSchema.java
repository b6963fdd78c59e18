package io.finmix.schemas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.StructType;

/**
 * A catalog table as declared in its schema file: its name inside the {@code finmix} catalog,
 * its columns, its partition columns and the DDL that creates it.
 *
 * @param name table name without the catalog, e.g. {@code corpus.records}
 * @param schema the columns, names, types and nullability exactly as declared
 * @param partitionColumns the identity partition columns, in order
 * @param createStatement the declared {@code CREATE TABLE} statement, catalog-qualified
 * @param setupStatements statements to run once after creating the table (write order, ...)
 */
public record TableSchema(
    String name,
    StructType schema,
    List<String> partitionColumns,
    String createStatement,
    List<String> setupStatements) {

  /** The name with the catalog: {@code finmix.corpus.records}. */
  public String qualifiedName() {
    return TableSchemas.CATALOG + "." + name;
  }

  /** The namespace part of the name: {@code corpus} for {@code corpus.records}. */
  public String namespace() {
    return name.substring(0, name.lastIndexOf('.'));
  }

  /** The declared statement with {@code IF NOT EXISTS}, safe to run on every job start. */
  public String createIfNotExistsStatement() {
    return createStatement.replaceFirst("(?i)^CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ");
  }

  private static final Pattern PROPERTIES = Pattern.compile("(?is)TBLPROPERTIES\\s*\\((.*?)\\)");
  private static final Pattern PAIR = Pattern.compile("'([^']*)'\\s*=\\s*'([^']*)'");

  /** The declared {@code TBLPROPERTIES}, in declared order (empty when there are none). */
  public Map<String, String> properties() {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = PROPERTIES.matcher(createStatement);
    if (m.find()) {
      Matcher pair = PAIR.matcher(m.group(1));
      while (pair.find()) {
        out.put(pair.group(1), pair.group(2));
      }
    }
    return out;
  }
}
