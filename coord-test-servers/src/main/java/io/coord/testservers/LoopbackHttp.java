package io.coord.testservers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal blocking HTTP/1.0 client over one plain socket per request ({@code Connection: close},
 * so no chunked bodies and no keep-alive). Chosen over {@code java.net.http.HttpClient} because it
 * leaves no selector or worker threads behind, which keeps the kit's thread-leak checks clean.
 * Every call is bounded by its timeout (connect and each read).
 */
final class LoopbackHttp {
    private static final int MAX_BODY = 4 * 1024 * 1024;

    /** Status code and body of a response. */
    record Response(int status, String body) {
    }

    private LoopbackHttp() {
    }

    static Response request(String method, URI uri, String body, Duration timeout) throws IOException {
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), millis);
            s.setSoTimeout(millis);
            StringBuilder head = new StringBuilder()
                    .append(method).append(' ').append(path).append(" HTTP/1.0\r\n")
                    .append("Host: ").append(uri.getHost()).append(':').append(port).append("\r\n")
                    .append("Connection: close\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\n")
                        .append("Content-Length: ").append(payload.length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) >= 0; ) {
                buf.write(chunk, 0, n);
                if (buf.size() > MAX_BODY) {
                    throw new IOException("response from " + uri + " larger than " + MAX_BODY + " bytes");
                }
            }
            String raw = buf.toString(StandardCharsets.UTF_8);
            int lineEnd = raw.indexOf("\r\n");
            int headEnd = raw.indexOf("\r\n\r\n");
            if (lineEnd < 0 || headEnd < 0) {
                throw new IOException("malformed HTTP response from " + uri + ": " + abbreviate(raw));
            }
            String[] statusLine = raw.substring(0, lineEnd).split(" ", 3);
            if (statusLine.length < 2) {
                throw new IOException("malformed status line from " + uri + ": " + raw.substring(0, lineEnd));
            }
            int status;
            try {
                status = Integer.parseInt(statusLine[1]);
            } catch (NumberFormatException e) {
                throw new IOException("malformed status line from " + uri + ": " + raw.substring(0, lineEnd), e);
            }
            return new Response(status, raw.substring(headEnd + 4));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
