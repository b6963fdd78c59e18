package io.finmix.jobs.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** A lazy iterator over the rows of one file slice; readers implement {@link #advance()}. */
abstract class NativeRowReader implements Iterator<NativeRow> {

  private NativeRow next;
  private boolean done;

  /** The next row, or null at the end of the slice. */
  protected abstract NativeRow advance() throws IOException;

  /** Called once, when the end is reached. */
  protected void onEnd() {}

  @Override
  public final boolean hasNext() {
    if (next == null && !done) {
      try {
        next = advance();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (next == null) {
        done = true;
        onEnd();
      }
    }
    return next != null;
  }

  @Override
  public final NativeRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    NativeRow row = next;
    next = null;
    return row;
  }
}
