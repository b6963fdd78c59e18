package io.finmix.jobs.ingest;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.util.List;

/**
 * The {@code ingest} section of the config, read and checked in one place.
 *
 * @param sourcesFile the sources file (a name under conf/ or a path)
 * @param dataRoot the folder the sources' paths are under; empty: the sources file's own
 * @param only the sources to ingest; empty: every source of the file
 * @param maxChars a record's longest text field, in characters
 * @param quarantineRawChars the raw text a quarantine row keeps, at most
 * @param splitBytes a raw file larger than this is read as several splits
 */
public record IngestSettings(String sourcesFile, String dataRoot, List<String> only,
    int maxChars, int quarantineRawChars, long splitBytes) {

  public static IngestSettings of(FinmixConfig config) {
    var c = config.config();
    return new IngestSettings(c.getString("ingest.sources"), c.getString("ingest.data_root"),
        c.getStringList("ingest.only"),
        (int) positive(config, "ingest.max_chars", Integer.MAX_VALUE / 4),
        (int) positive(config, "ingest.quarantine_raw_chars", Integer.MAX_VALUE),
        positive(config, "ingest.split_bytes", Long.MAX_VALUE));
  }

  /** The sources to read, as the sources file declares them (only the selected ones). */
  public List<SourceSpec> sources() {
    return SourcesFile.load(sourcesFile, dataRoot, only, maxChars);
  }

  /** A count or size key (a number, or a size such as 64MiB) that must be in [1, max]. */
  private static long positive(FinmixConfig config, String key, long max) {
    long v = config.config().getBytes(key);
    if (v <= 0 || v > max) {
      throw new UserError("invalid config key " + key + " = " + v + " (" + config.originOf(key)
          + "): must be between 1 and " + max);
    }
    return v;
  }
}
