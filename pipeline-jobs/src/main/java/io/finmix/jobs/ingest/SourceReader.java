package io.finmix.jobs.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Reads one file slice on an executor and maps its rows: a lazy iterator of outcomes, so a
 * slice is streamed, never held in memory. The file is closed at the end of the slice or of the
 * task, whichever comes first.
 */
public final class SourceReader {

  private SourceReader() {}

  /** The JSON mapper readers use: strict about duplicate keys and trailing garbage. */
  public static ObjectMapper jsonMapper() {
    ObjectMapper json = new ObjectMapper();
    json.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    json.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    // Error messages say where, not what: raw text goes to the quarantine's own column.
    json.getFactory().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION.mappedFeature());
    return json;
  }

  /** All outcomes of a slice. */
  public static Iterator<IngestOutcome> outcomes(IngestPlan.FileSlice slice, SourceSpec spec,
      Configuration hadoop, int rawChars) {
    Iterator<NativeRow> rows = rows(slice, spec, hadoop);
    RecordMapper mapper = new RecordMapper(spec, rawChars);
    RecordMapper.FileContext file = slice.context();
    return flatten(rows, row -> mapper.map(file, row).iterator());
  }

  /** The native rows of a slice. */
  public static Iterator<NativeRow> rows(IngestPlan.FileSlice slice, SourceSpec spec,
      Configuration hadoop) {
    Path path = new Path(slice.uri());
    ObjectMapper json = jsonMapper();
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      CompressionCodec codec = new CompressionCodecFactory(hadoop).getCodec(path);
      long start = codec != null ? 0 : slice.start();
      FSDataInputStream file = fs.open(path);
      InputStream raw = file;
      try {
        if (codec != null) {
          raw = codec.createInputStream(file);
        } else if (start > 0) {
          file.seek(start - 1);
        }
        if (spec.format() == Format.JSON) {
          return closing(new JsonDocumentReader(raw, spec, json), raw);
        }
        ByteInput in = new ByteInput(raw, Math.max(0, start - 1));
        if (start > 0) {
          LineRowReader.skipToLineStart(in);
        }
        Iterator<NativeRow> rows = switch (spec.format()) {
          case JSONL, LINES -> new LineRowReader(in, slice.end(), spec, json);
          case CSV -> new CsvRowReader(in, spec, json);
          default -> throw new IllegalArgumentException(spec.format() + " has its own reader");
        };
        return closing(rows, in);
      } catch (IOException | RuntimeException e) {
        closeQuietly(raw);
        closeQuietly(file);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + slice.uri(), e);
    }
  }

  private static <T> Iterator<T> closing(Iterator<T> it, Closeable resource) {
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> closeQuietly(resource));
    }
    return new Iterator<>() {
      private boolean closed;

      @Override
      public boolean hasNext() {
        boolean more = !closed && it.hasNext();
        if (!more && !closed) {
          closed = true;
          closeQuietly(resource);
        }
        return more;
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return it.next();
      }
    };
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // reading is over; nothing to recover
    }
  }

  /** Flattens an iterator of rows into the outcomes each maps to. */
  static <A, B> Iterator<B> flatten(Iterator<A> outer,
      java.util.function.Function<A, Iterator<B>> inner) {
    return new Iterator<>() {
      private Iterator<B> current = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && outer.hasNext()) {
          current = inner.apply(outer.next());
        }
        return current.hasNext();
      }

      @Override
      public B next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }
}
