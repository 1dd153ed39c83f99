package dev.shoal.http.support;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the one {@link ServerFixture} of the run (started on first use, closed when the run ends), and
 * puts the test engine back to normal after each test.
 */
public final class ServerExtension implements ParameterResolver, AfterEachCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ServerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ServerFixture.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return fixture(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ServerFixture f = fixture(context);
        f.service.reset();
        f.cluster.reset();
    }

    private static ServerFixture fixture(ExtensionContext context) {
        return context.getRoot().getStore(NS).computeIfAbsent(ServerFixture.class, k -> {
            try {
                return ServerFixture.start();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("could not start the test server", e);
            }
        }, ServerFixture.class);
    }
}
