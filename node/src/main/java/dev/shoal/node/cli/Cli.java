package dev.shoal.node.cli;

import dev.shoal.tensor.gguf.GgufFormatException;
import dev.shoal.tensor.quant.UnsupportedTensorTypeException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Dispatches {@code shoal COMMAND [flags]}. Exit codes: 0 success, 1 the work failed (bad model file, I/O),
 * 2 the command line is wrong. Every failure is one line on stderr, never a stack trace.
 */
public final class Cli {

    static final String USAGE = "usage: shoal node|generate|tokenize|synth|bench|driver [flags]  (shoal COMMAND --help for a command's flags)";

    private Cli() {
    }

    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            err.println(USAGE);
            err.println("  " + NodeCommand.USAGE);
            err.println("  " + GenerateCommand.USAGE);
            err.println("  " + TokenizeCommandLine.USAGE);
            err.println("  " + SynthCommand.USAGE);
            err.println("  " + BenchCommand.USAGE);
            err.println("  " + DriverCommand.USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        String command = args[0];
        try {
            if (rest.length == 1 && rest[0].equals("--help")) {
                err.println("usage: " + usageOf(command));
                return 0;
            }
            return switch (command) {
                case "node" -> NodeCommand.run(rest, out, err);
                case "generate" -> GenerateCommand.run(rest, out, err);
                case "tokenize" -> TokenizeCommandLine.run(rest, in, out);
                case "synth" -> SynthCommand.run(rest, err);
                case "bench" -> BenchCommand.run(rest, out);
                case "driver" -> DriverCommand.run(rest, out);
                default -> throw new UsageException("unknown command '" + command + "'; " + USAGE);
            };
        } catch (UsageException e) {
            err.println("shoal " + command + ": " + e.getMessage());
            return 2;
        } catch (GgufFormatException | UnsupportedTensorTypeException | IllegalArgumentException e) {
            err.println("shoal " + command + ": " + e.getMessage());
            return 1;
        } catch (java.io.IOException e) {
            err.println("shoal " + command + ": I/O error: " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("shoal " + command + ": out of memory (" + e.getMessage() + "); give the JVM more with SHOAL_JAVA_OPTS=-Xmx...");
            return 1;
        } catch (Exception e) {
            err.println("shoal " + command + ": failed: " + e);
            return 1;
        }
    }

    private static String usageOf(String command) {
        return switch (command) {
            case "node" -> NodeCommand.USAGE;
            case "generate" -> GenerateCommand.USAGE;
            case "tokenize" -> TokenizeCommandLine.USAGE;
            case "synth" -> SynthCommand.USAGE;
            case "bench" -> BenchCommand.USAGE;
            case "driver" -> DriverCommand.USAGE;
            default -> throw new UsageException("unknown command '" + command + "'; " + USAGE);
        };
    }
}
