package io.finmix.jobs.core;

/**
 * A problem the user can fix: a bad config key, a missing file, an unknown adapter. The CLI
 * prints only the message (which names the file, key or row) and exits with code 2.
 */
public class UserError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
