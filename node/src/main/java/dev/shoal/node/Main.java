package dev.shoal.node;

import dev.shoal.node.cli.Cli;

/** Entry point of {@code bin/shoal}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        int code = Cli.run(args, System.in, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }
}
