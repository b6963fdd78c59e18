package io.finmix.jobs.ingest;

import io.finmix.jobs.core.UserError;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * What ingest will read: every declared file found (globs expanded, directories listed, in
 * path order), cut into slices that executors read in parallel. Line-oriented files are cut at
 * {@code ingest.split_bytes}; other formats and compressed files are read whole.
 */
public final class IngestPlan {

  /**
   * A piece of one file for one task, with the file's per-file split and attributes. A plain
   * class, not a record: slices are RDD data, and Kryo (a cluster's usual serializer) cannot
   * write records.
   */
  public static final class FileSlice implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String source;
    private final String uri;
    private final String relPath;
    private final long start;
    private final long end;
    private final String split;
    private final TreeMap<String, String> attributes;

    FileSlice(String source, String uri, String relPath, long start, long end, String split,
        Map<String, String> attributes) {
      this.source = source;
      this.uri = uri;
      this.relPath = relPath;
      this.start = start;
      this.end = end;
      this.split = split;
      this.attributes = new TreeMap<>(attributes);
    }

    public String source() {
      return source;
    }

    public String uri() {
      return uri;
    }

    public long start() {
      return start;
    }

    public long end() {
      return end;
    }

    RecordMapper.FileContext context() {
      return new RecordMapper.FileContext(uri, relPath, split, attributes);
    }
  }

  private final List<FileSlice> slices;
  private final Map<String, List<FileSlice>> parquet;
  private final Map<String, long[]> filesAndBytes;

  private IngestPlan(List<FileSlice> slices, Map<String, List<FileSlice>> parquet,
      Map<String, long[]> filesAndBytes) {
    this.slices = slices;
    this.parquet = parquet;
    this.filesAndBytes = filesAndBytes;
  }

  /** Slices of the files that finmix's own readers handle. */
  public List<FileSlice> slices() {
    return slices;
  }

  /** Whole Parquet files by source; Spark reads those. */
  public Map<String, List<FileSlice>> parquet() {
    return parquet;
  }

  /** Source -> {files, bytes}. */
  public Map<String, long[]> filesAndBytes() {
    return filesAndBytes;
  }

  /** Lists the files of every source; a declared path that matches nothing is a UserError. */
  public static IngestPlan plan(Configuration hadoop, List<SourceSpec> specs, long sliceBytes) {
    List<FileSlice> slices = new ArrayList<>();
    Map<String, List<FileSlice>> parquet = new TreeMap<>();
    Map<String, long[]> totals = new LinkedHashMap<>();
    CompressionCodecFactory codecs = new CompressionCodecFactory(hadoop);
    for (SourceSpec spec : specs) {
      long[] total = totals.computeIfAbsent(spec.name(), k -> new long[2]);
      Map<String, Boolean> seen = new LinkedHashMap<>();
      for (SourceSpec.FileEntry entry : spec.files()) {
        for (FileStatus file : expand(hadoop, spec, entry)) {
          String uri = file.getPath().toString();
          if (seen.putIfAbsent(uri, true) != null) {
            continue; // two entries naming one file: read it once
          }
          String rel = relativePath(spec.dataRoot(), file.getPath());
          Map<String, String> attributes = new TreeMap<>(entry.attributes());
          attributes.putAll(fileAttributes(spec, file.getPath().getName()));
          long len = file.getLen();
          total[0]++;
          total[1] += len;
          if (spec.format() == Format.PARQUET) {
            parquet.computeIfAbsent(spec.name(), k -> new ArrayList<>()).add(
                new FileSlice(spec.name(), uri, rel, 0, len, entry.split(), attributes));
          } else if (spec.format().lineOriented && codecs.getCodec(file.getPath()) == null) {
            long start = 0;
            do {
              long end = Math.min(len, start + sliceBytes);
              slices.add(new FileSlice(spec.name(), uri, rel, start, end, entry.split(),
                  attributes));
              start = end;
            } while (start < len);
          } else {
            slices.add(new FileSlice(spec.name(), uri, rel, 0, Long.MAX_VALUE, entry.split(),
                attributes));
          }
        }
      }
    }
    return new IngestPlan(slices, parquet, totals);
  }

  private static List<FileStatus> expand(Configuration hadoop, SourceSpec spec,
      SourceSpec.FileEntry entry) {
    Path pattern = new Path(entry.path());
    if (!pattern.isAbsolute() && pattern.toUri().getScheme() == null) {
      pattern = new Path(spec.dataRoot(), entry.path());
    }
    try {
      FileSystem fs = pattern.getFileSystem(hadoop);
      FileStatus[] matched = fs.globStatus(pattern);
      List<FileStatus> files = new ArrayList<>();
      if (matched != null) {
        for (FileStatus s : matched) {
          if (s.isDirectory()) {
            Arrays.stream(fs.listStatus(s.getPath()))
                .filter(f -> f.isFile() && !f.getPath().getName().startsWith(".")
                    && !f.getPath().getName().startsWith("_"))
                .forEach(files::add);
          } else {
            files.add(s);
          }
        }
      }
      if (files.isEmpty()) {
        throw new UserError("source '" + spec.name() + "' (" + spec.origin() + "): no file matches "
            + entry.path() + " (looked for " + pattern + "; data_root " + spec.dataRoot()
            + ", or FINMIX_DATA_DIR)");
      }
      files.sort(Comparator.comparing(f -> f.getPath().toString()));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + pattern, e);
    }
  }

  /** The file's path under the data root (what record ids hash), or its full path outside it. */
  static String relativePath(String dataRoot, Path file) {
    String root = new Path(dataRoot).toUri().getPath();
    root = root.endsWith("/") ? root : root + "/";
    String path = file.toUri().getPath();
    return path.startsWith(root) ? path.substring(root.length()) : path;
  }

  private static Map<String, String> fileAttributes(SourceSpec spec, String fileName) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, SourceSpec.FileAttribute> e
        : spec.mapping().fileAttributes().entrySet()) {
      Matcher m = e.getValue().pattern().matcher(fileName);
      if (m.find() && m.groupCount() >= 1 && m.group(1) != null) {
        out.put(e.getKey(), e.getValue().values().getOrDefault(m.group(1), m.group(1)));
      }
    }
    return out;
  }
}
