package io.finmix.jobs.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a Parquet source with Spark: each row becomes a JSON tree (so the same mapping applies
 * as for JSON sources) with its file and row index as provenance.
 */
final class ParquetRows {

  private ParquetRows() {}

  static JavaRDD<IngestOutcome> outcomes(SparkSession spark, SourceSpec spec,
      List<IngestPlan.FileSlice> files, int rawChars) {
    Map<String, IngestPlan.FileSlice> byPath = new HashMap<>();
    for (IngestPlan.FileSlice f : files) {
      byPath.put(pathOf(f.uri()), f);
    }
    // mergeSchema: a column that only some files have is read (null elsewhere), not dropped.
    Dataset<Row> df = spark.read().option("mergeSchema", true)
        .parquet(files.stream().map(IngestPlan.FileSlice::uri).toArray(String[]::new));
    List<Column> data = new ArrayList<>();
    for (String c : df.columns()) {
      data.add(col("`" + c + "`"));
    }
    Dataset<Row> rows = df.select(
        to_json(struct(data.toArray(new Column[0]))).as("json"),
        col("_metadata.file_path").as("file"),
        col("_metadata.row_index").as("row"));
    return rows.javaRDD().mapPartitions(it -> map(it, spec, byPath, rawChars));
  }

  private static Iterator<IngestOutcome> map(Iterator<Row> it, SourceSpec spec,
      Map<String, IngestPlan.FileSlice> byPath, int rawChars) {
    ObjectMapper json = SourceReader.jsonMapper();
    RecordMapper mapper = new RecordMapper(spec, rawChars);
    return SourceReader.flatten(it, r -> {
      IngestPlan.FileSlice file = byPath.get(pathOf(r.getString(1)));
      if (file == null) {
        throw new IllegalStateException("Spark read a file ingest did not plan: " + r.getString(1));
      }
      String text = r.getString(0);
      long offset = r.getLong(2);
      NativeRow row;
      try {
        row = NativeRow.parsed(offset, null, json.readTree(text), text, StandardCharsets.UTF_8);
      } catch (JsonProcessingException e) {
        row = NativeRow.failed(offset, QuarantineReason.MALFORMED_JSON, JsonErrors.describe(e),
            text, StandardCharsets.UTF_8);
      }
      return mapper.map(file.context(), row).iterator();
    });
  }

  /** The decoded path of a file URI, however Spark and Hadoop escaped it. */
  static String pathOf(String uri) {
    try {
      return new URI(uri).getPath();
    } catch (URISyntaxException e) {
      return new Path(uri).toUri().getPath(); // not escaped: a plain path string
    }
  }
}
