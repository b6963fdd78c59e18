package io.finmix.jobs.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** Builds sources from HOCON snippets and reads them with ingest's readers, without Spark. */
final class IngestFixtures {

  private IngestFixtures() {}

  /** A one-source sources file under {@code dataRoot}; {@code body} is the source block. */
  static SourceSpec spec(Path dataRoot, String body) {
    return specs(dataRoot, "s { " + body + " }").get(0);
  }

  /** All sources of a {@code sources { ... }} body. */
  static List<SourceSpec> specs(Path dataRoot, String sourcesBody) {
    try {
      Path file = Files.createTempFile(dataRoot, "sources-", ".conf");
      Files.writeString(file, "data_root = \"" + dataRoot + "\"\nsources {\n" + sourcesBody
          + "\n}\n");
      return SourcesFile.load(file.toString(), "", List.of(), 100_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path dir, String name, byte[] bytes) {
    try {
      Path file = dir.resolve(name);
      Files.createDirectories(file.getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path dir, String name, String text) {
    return write(dir, name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Every native row of a source, reading its files in slices of {@code sliceBytes}. */
  static List<NativeRow> rows(SourceSpec spec, long sliceBytes) {
    List<NativeRow> out = new ArrayList<>();
    IngestPlan plan = IngestPlan.plan(new Configuration(), List.of(spec), sliceBytes);
    for (IngestPlan.FileSlice slice : plan.slices()) {
      SourceReader.rows(slice, spec, new Configuration()).forEachRemaining(out::add);
    }
    return out;
  }

  static List<NativeRow> rows(SourceSpec spec) {
    return rows(spec, 1 << 20);
  }

  /** Every outcome (record or quarantine) of a source. */
  static List<IngestOutcome> outcomes(SourceSpec spec) {
    List<IngestOutcome> out = new ArrayList<>();
    IngestPlan plan = IngestPlan.plan(new Configuration(), List.of(spec), 1 << 20);
    for (IngestPlan.FileSlice slice : plan.slices()) {
      Iterator<IngestOutcome> it = SourceReader.outcomes(slice, spec, new Configuration(), 200);
      it.forEachRemaining(out::add);
    }
    return out;
  }

  static List<IngestOutcome> records(List<IngestOutcome> outcomes) {
    return outcomes.stream().filter(o -> o.isRecord).toList();
  }

  static List<IngestOutcome> quarantined(List<IngestOutcome> outcomes) {
    return outcomes.stream().filter(o -> !o.isRecord).toList();
  }
}
