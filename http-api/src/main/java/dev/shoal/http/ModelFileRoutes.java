package dev.shoal.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shoal.actors.api.FileWindow;
import dev.shoal.http.common.Api;
import dev.shoal.http.common.ApiError;
import dev.shoal.http.common.Json;
import dev.shoal.membership.ModelFiles;
import dev.shoal.tensor.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A node lends the bytes of its model files to peers that hold a slice of a split model without having the file
 * themselves:
 * <ul>
 *   <li>{@code GET /cluster/model-file/info?file=NAME}: {@code {"file", "size", "data_offset", "modified_ms"}} — the file's
 *       size, where its tensor data starts (everything before is the GGUF header the peer needs whole) and when it
 *       was last modified;</li>
 *   <li>{@code GET /cluster/model-file?file=NAME&offset=&length=[&stride=&count=]}: the bytes of a
 *       {@link FileWindow}, back to back, as {@code application/octet-stream} with its exact length.</li>
 * </ul>
 * {@code NAME} must be one of the node's model files as its profile lists them (a path under its models directory,
 * '/'-separated), so nothing else on the disk can be read. Bad parameters are a 400 naming the parameter, an
 * unknown file a 404, in the node's error shape.
 */
final class ModelFileRoutes {

    /** Bytes read from the file per stream element. */
    private static final int CHUNK = 256 * 1024;

    private ModelFileRoutes() {
    }

    /** @param modelsDir the directory whose model files this node lends; null lends none */
    static Route create(Path modelsDir) {
        return concat(
                path(PathMatchers.segment("cluster").slash("model-file").slash("info"), () -> get(() ->
                        parameterMap(params -> info(modelsDir, params)))),
                path(PathMatchers.segment("cluster").slash("model-file"), () -> get(() ->
                        parameterMap(params -> window(modelsDir, params)))));
    }

    private static Route info(Path modelsDir, Map<String, String> params) {
        return withFile(modelsDir, params, file -> {
            try (GgufFile gguf = GgufFile.open(file)) {
                ObjectNode body = Json.object();
                body.put("file", params.get("file"));
                body.put("size", gguf.byteSize());
                body.put("data_offset", gguf.dataStart());
                body.put("modified_ms", Files.getLastModifiedTime(file).toMillis());
                return complete(Json.ok(body));
            } catch (IOException | RuntimeException e) {
                return error(new ApiError.Internal("cannot read " + params.get("file") + ": " + e.getMessage()));
            }
        });
    }

    private static Route window(Path modelsDir, Map<String, String> params) {
        return withFile(modelsDir, params, file -> {
            long[] v = new long[FileWindow.PARAMS.size()];
            for (int i = 0; i < v.length; i++) {
                String name = FileWindow.PARAMS.get(i);
                String raw = params.get(name);
                if (raw == null && (name.equals("offset") || name.equals("length"))) {
                    return error(ApiError.invalid("the query parameter '" + name + "' is required", name));
                }
                try {
                    v[i] = raw == null ? -1 : Long.parseLong(raw.strip());
                } catch (NumberFormatException e) {
                    return error(ApiError.invalid("'" + name + "' must be a whole number of bytes, got '" + raw
                            + "'", name));
                }
            }
            long count = v[3] < 0 ? 1 : v[3];
            long stride = v[2] < 0 ? v[1] : v[2];
            FileWindow w;
            try {
                if (count > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("count " + count + " is too large");
                }
                w = new FileWindow(v[0], v[1], stride, (int) count);
            } catch (IllegalArgumentException | ArithmeticException e) {
                return error(ApiError.invalid(e.getMessage(), "offset"));
            }
            long size;
            try {
                size = Files.size(file);
            } catch (IOException e) {
                return error(new ApiError.Internal("cannot read " + params.get("file") + ": " + e.getMessage()));
            }
            if (w.end() > size) {
                return error(ApiError.invalid("the window ends at byte " + w.end() + ", past the end of "
                        + params.get("file") + " (" + size + " bytes)", "offset"));
            }
            Source<ByteString, ?> bytes = Source.unfoldResource(() -> new WindowReader(file, w),
                    WindowReader::next, WindowReader::close);
            return complete(HttpResponse.create().withEntity(
                    HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, w.totalBytes(), bytes)));
        });
    }

    private static Route withFile(Path modelsDir, Map<String, String> params,
                                  java.util.function.Function<Path, Route> then) {
        String name = params.getOrDefault("file", "").strip();
        if (name.isEmpty()) {
            return error(ApiError.invalid("the query parameter 'file' is required: a model file name as "
                    + "/cluster/state lists it", "file"));
        }
        if (modelsDir == null || !ModelFiles.list(modelsDir).contains(name)) {
            return error(new ApiError.NotFound("this node has no model file '" + name + "'", "file",
                    "model_file_not_found"));
        }
        return then.apply(modelsDir.resolve(name));
    }

    private static Route error(ApiError error) {
        return complete(ErrorHandling.renderer(Api.NODE).response(error));
    }

    /** Reads a window's ranges in order, {@link #CHUNK} bytes at a time (Pekko runs it on its blocking-IO threads). */
    private static final class WindowReader {
        private final FileChannel channel;
        private final FileWindow window;
        private int range;
        private long within;

        WindowReader(Path file, FileWindow window) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
            this.window = window;
        }

        Optional<ByteString> next() throws IOException {
            if (range == window.count()) {
                return Optional.empty();
            }
            long left = (window.count() - range) * window.length() - within;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, left));
            while (buf.hasRemaining()) {
                long pos = window.offset() + range * window.stride() + within;
                int want = (int) Math.min(buf.remaining(), window.length() - within);
                ByteBuffer part = buf.slice(buf.position(), want);
                while (part.hasRemaining()) {
                    int n = channel.read(part, pos + part.position());
                    if (n < 0) {
                        throw new UncheckedIOException(new IOException("the file ended at byte "
                                + (pos + part.position()) + " while it was read"));
                    }
                }
                buf.position(buf.position() + want);
                within += want;
                if (within == window.length()) {
                    range++;
                    within = 0;
                }
            }
            buf.flip();
            return Optional.of(ByteString.fromByteBuffer(buf));
        }

        void close() throws IOException {
            channel.close();
        }
    }
}
