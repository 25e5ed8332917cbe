package io.coord.testservers;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A tiny blocking RESP2 client over one plain or TLS socket, for readiness probes, cluster setup and
 * test assertions against Redis (not a substitute for lettuce). Replies map to Java as: simple and
 * bulk strings to {@link String}, integers to {@link Long}, arrays to {@code List<Object>}, nil to
 * {@code null}; an error reply throws {@link RespError}. Every read is bounded by the timeout given
 * at open. Not thread-safe: one caller at a time.
 */
public final class RespConnection implements AutoCloseable {

    /** An error reply ({@code -ERR ...}) from the server. */
    public static final class RespError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RespError(String message) {
            super(message);
        }
    }

    private static final int MAX_BULK = 64 * 1024 * 1024;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to {@code host:port} in plain text; connect and every read time out after {@code timeout}.
     *
     * @param host the server's host name or address
     * @param port the server's port
     * @param timeout bound of the connect and of every later read
     * @return an open connection; close it when done
     * @throws java.io.UncheckedIOException if the connection (or the TLS handshake) fails or times out
     */
    public static RespConnection open(String host, int port, Duration timeout) {
        return open(host, port, timeout, (SSLSocketFactory) null);
    }

    /**
     * Connects to {@code host:port} over TLS when {@code tls} is given (trusting the test CA, verifying that the
     * server's certificate names {@code host}, presenting the kit's admin client certificate), else in plain text.
     *
     * @param host the server's host name or address
     * @param port the server's port
     * @param timeout bound of the connect and of every later read
     * @param tls the test certificates, or empty for plain text
     * @return an open connection; close it when done
     * @throws java.io.UncheckedIOException if the connection (or the TLS handshake) fails or times out
     */
    public static RespConnection open(String host, int port, Duration timeout, Optional<RedisTls> tls) {
        return open(host, port, timeout, tls.map(RedisTls::socketFactory).orElse(null));
    }

    private static RespConnection open(String host, int port, Duration timeout, SSLSocketFactory tls) {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), millis);
            s.setSoTimeout(millis);
            s.setTcpNoDelay(true);
            if (tls == null) {
                return new RespConnection(s);
            }
            SSLSocket secure = (SSLSocket) tls.createSocket(s, host, port, true);
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secure.setSSLParameters(parameters);
            secure.setSoTimeout(millis);
            secure.startHandshake();
            return new RespConnection(secure);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new UncheckedIOException("cannot connect to redis " + host + ":" + port, e);
        }
    }

    /**
     * Sends one command and returns its reply (see the class comment for the mapping).
     *
     * @param args the command and its arguments, sent as UTF-8 bulk strings
     * @return the reply
     * @throws RespError if the server answers with an error reply
     * @throws java.io.UncheckedIOException if the connection fails or a read times out
     */
    public Object command(String... args) {
        try {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                req.write(('$' + Integer.toString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                req.write(b);
                req.write('\r');
                req.write('\n');
            }
            out.write(req.toByteArray());
            out.flush();
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException("redis command " + (args.length > 0 ? args[0] : "") + " failed", e);
        }
    }

    /**
     * {@link #command} whose reply is expected to be a string (or nil).
     *
     * @param args the command and its arguments, sent as UTF-8 bulk strings
     * @return the reply's text, or null for nil
     * @throws RespError if the server answers with an error reply
     */
    public String commandString(String... args) {
        Object r = command(args);
        return r == null ? null : r.toString();
    }

    /**
     * {@code INFO <section>} parsed into "field:value" lookups: returns the value of {@code field}, or null.
     *
     * @param section the INFO section, e.g. {@code replication}
     * @param field the field name, e.g. {@code role}
     * @return the field's value, trimmed, or null if absent
     */
    public String infoField(String section, String field) {
        String info = commandString("INFO", section);
        return field(info, field);
    }

    /**
     * Returns the value of {@code field} in an INFO / CLUSTER INFO text, or null.
     *
     * @param info the text, or null
     * @param field the field name
     * @return the value of the first line {@code field:value}, trimmed, or null if absent
     */
    public static String field(String info, String field) {
        if (info == null) {
            return null;
        }
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return null;
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new IOException("connection closed by redis");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new RespError(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                if (len > MAX_BULK) {
                    throw new IOException("bulk reply too large: " + len);
                }
                byte[] b = in.readNBytes(len);
                if (b.length != len || in.read() != '\r' || in.read() != '\n') {
                    throw new IOException("truncated bulk reply");
                }
                return new String(b, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(readNested());
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte '" + (char) type + "'");
        }
    }

    /** Reads an array element: an error reply inside an array is returned, not thrown. */
    private Object readNested() throws IOException {
        try {
            return read();
        } catch (RespError e) {
            return e;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 1 << 20; i++) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by redis");
            }
            if (c == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed RESP line");
                }
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        throw new IOException("RESP line too long");
    }

    /** Closes the socket. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
