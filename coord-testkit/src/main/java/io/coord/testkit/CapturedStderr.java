package io.coord.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Everything written to {@code System.err} (where slf4j-simple logs) while installed, kept in memory for a
 * check such as "no secret was ever logged", and still written to the real stderr. Install it in
 * {@code @BeforeAll} and close it in {@code @AfterAll}: closing restores the original stream. Thread-safe.
 */
public final class CapturedStderr implements AutoCloseable {

    private final PrintStream original;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    private CapturedStderr(PrintStream original) {
        this.original = original;
    }

    /**
     * Starts capturing; slf4j-simple looks {@code System.err} up on every line, so it is captured from now on.
     *
     * @return the capture, to close when done
     */
    public static CapturedStderr install() {
        CapturedStderr captured = new CapturedStderr(System.err);
        System.setErr(new PrintStream(captured.new Tee(), true, StandardCharsets.UTF_8));
        return captured;
    }

    /**
     * What was written since {@link #install()}.
     *
     * @return everything written so far, decoded as UTF-8
     */
    public String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    /** Restores the original {@code System.err}; the captured text stays readable. */
    @Override
    public void close() {
        System.setErr(original);
    }

    /** Writes to the real stderr and the buffer. */
    private final class Tee extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            original.write(b);
            synchronized (copy) {
                copy.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            original.write(b, off, len);
            synchronized (copy) {
                copy.write(b, off, len);
            }
        }
    }
}
