package io.finmix.jobs.ingest;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** A buffered byte stream that knows the file offset of the next byte. */
final class ByteInput implements Closeable {

  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private long bufStart;

  ByteInput(InputStream in, long startOffset) {
    this.in = in;
    this.bufStart = startOffset;
  }

  /** The next byte (0-255), or -1 at the end. */
  int read() throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    return buf[pos++] & 0xff;
  }

  /** The next byte without consuming it, or -1 at the end. */
  int peek() throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    return buf[pos] & 0xff;
  }

  /** Consumes {@code prefix} if the stream continues with it; otherwise consumes nothing. */
  boolean skipPrefix(byte[] prefix) throws IOException {
    while (limit - pos < prefix.length) {
      if (pos > 0) { // move what is left to the front, then read more after it
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        bufStart += pos;
        limit -= pos;
        pos = 0;
      }
      int n = in.read(buf, limit, buf.length - limit);
      if (n < 0) {
        return false;
      }
      limit += n;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (buf[pos + i] != prefix[i]) {
        return false;
      }
    }
    pos += prefix.length;
    return true;
  }

  /** The file offset of the next byte {@link #read()} returns. */
  long position() {
    return bufStart + pos;
  }

  private boolean fill() throws IOException {
    bufStart += limit;
    pos = 0;
    limit = 0;
    int n;
    while ((n = in.read(buf, 0, buf.length)) == 0) {
      // an InputStream may return 0; try again
    }
    if (n < 0) {
      return false;
    }
    limit = n;
    return true;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
