package io.coord.examples;

/** The command-line checks the examples share: each refusal says what was given and what is allowed. */
public final class CommandLine {

    private CommandLine() {
    }

    /**
     * Parses an integer option.
     *
     * @param option the option's name, for the message
     * @param value  what was given
     * @param min    the smallest allowed value
     * @param max    the largest allowed value
     * @return the value
     * @throws IllegalArgumentException if {@code value} is not an integer in {@code [min, max]}, saying so
     */
    public static int intIn(String option, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " must be an integer from " + min + " to " + max + ", got '" + value + "'");
    }
}
