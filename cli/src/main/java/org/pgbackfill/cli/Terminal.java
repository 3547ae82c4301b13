package org.pgbackfill.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * The console as the operator sees it: one progress line redrawn in place on a terminal, and
 * everything else printed (logs, messages, the summary) on lines of its own.
 *
 * <p>Why a class of its own: the log (SLF4J simple, to standard error) and the progress line
 * share one screen. Printed naively, a log line lands behind the progress line's last character
 * ("…4636 rows written18:27:20 WARN …"). So every stream the tool prints to goes through {@link
 * #stream}: before a line is printed the progress line is wiped, after it the progress line is
 * drawn again. And where the console's charset cannot show "…" or "—" (LC_ALL=C), every text is
 * printed in plain ASCII instead of as '?' glyphs.
 */
final class Terminal {
    private final PrintStream screen;   // where the progress line is drawn (standard error)
    private final boolean tty;
    private final boolean unicode;
    private String progress;            // the progress line drawn now, or null
    private boolean midLine;            // something printed a partial line: the progress line waits for its end

    Terminal(PrintStream screen, boolean tty, boolean unicode) {
        this.screen = screen;
        this.tty = tty;
        this.unicode = unicode;
    }

    /** Whether a charset can show the few non-ASCII glyphs the tool prints. */
    static boolean canShowUnicode(Charset cs) {
        return cs.newEncoder().canEncode("\u2026\u2014\u2192");
    }

    /** The charset standard error encodes with (the console's, from the locale). */
    static Charset consoleCharset() {
        String enc = System.getProperty("sun.stderr.encoding");
        try {
            return enc != null ? Charset.forName(enc) : Charset.defaultCharset();
        } catch (RuntimeException unknown) {
            return Charset.defaultCharset();
        }
    }

    boolean tty() { return tty; }

    /**
     * Runs {@code body} with System.out and System.err going through a terminal on standard error
     * (redrawn in place when {@code tty}, ASCII where the console cannot show Unicode), so that the
     * log and the output never land on the progress line; restores both streams afterwards.
     */
    static <T> T during(boolean tty, java.util.function.Function<Terminal, T> body) {
        PrintStream savedOut = System.out, savedErr = System.err;
        Terminal term = new Terminal(savedErr, tty, canShowUnicode(consoleCharset()));
        System.setOut(term.stream(savedOut));
        System.setErr(term.stream(savedErr));
        try {
            return body.apply(term);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    boolean unicode() { return unicode; }

    /** Text as this console can show it: the tool's few non-ASCII glyphs spelled in ASCII when it cannot. */
    String text(String s) {
        if (unicode || s == null) return s;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\u2026' -> b.append("...");
                case '\u2014', '\u2013' -> b.append('-');
                case '\u2192' -> b.append("->");
                case '\u00d7' -> b.append('x');
                case '\u221e' -> b.append("inf");
                case '\u2018', '\u2019' -> b.append('\'');
                case '\u201c', '\u201d' -> b.append('"');
                default -> b.append(ch < 128 ? ch : '?');
            }
        }
        return b.toString();
    }

    /** Draws (or redraws) the progress line; without a terminal, prints it as a line. */
    synchronized void progress(String line) {
        if (!tty) {
            screen.println(text(line));
            screen.flush();
            return;
        }
        progress = text(line);
        if (midLine) return;
        screen.print("\r\033[K" + progress);
        screen.flush();
    }

    /** The progress line is over: it stays on screen as an ordinary line (or goes, when {@code text} is null). */
    synchronized void endProgress() {
        if (tty && progress != null && !midLine) screen.println();
        progress = null;
    }

    /** Prints a line of its own, never glued to the progress line. */
    synchronized void println(String line) {
        wipe();
        screen.println(text(line));
        redraw();
    }

    private void wipe() {
        if (tty && progress != null && !midLine) screen.print("\r\033[K");
    }

    private void redraw() {
        if (tty && progress != null && !midLine) screen.print(progress);
        screen.flush();
    }

    /** A stream that prints through this terminal: {@code target}'s bytes, lines apart from the progress line. */
    PrintStream stream(PrintStream target) {
        return new Guarded(target);
    }

    private final class Guarded extends PrintStream {
        private final PrintStream target;

        Guarded(PrintStream target) {
            super(OutputStream.nullOutputStream(), true);
            this.target = target;
        }

        private void emit(String s) {
            synchronized (Terminal.this) {
                if (!midLine) wipe();
                target.print(text(s));
                target.flush();
                midLine = !s.endsWith("\n");
                if (!midLine) redraw();
            }
        }

        @Override public void print(String s) { emit(String.valueOf(s)); }
        @Override public void print(Object o) { emit(String.valueOf(o)); }
        @Override public void print(char c) { emit(String.valueOf(c)); }
        @Override public void print(char[] s) { emit(new String(s)); }
        @Override public void println() { emit(System.lineSeparator()); }
        @Override public void println(String s) { emit(s + System.lineSeparator()); }
        @Override public void println(Object o) { emit(o + System.lineSeparator()); }
        @Override public void println(char[] s) { emit(new String(s) + System.lineSeparator()); }
        @Override public void println(char c) { emit(c + System.lineSeparator()); }
        @Override public void println(long l) { emit(l + System.lineSeparator()); }
        @Override public void println(int i) { emit(i + System.lineSeparator()); }
        @Override public void println(boolean v) { emit(v + System.lineSeparator()); }
        @Override public void println(double d) { emit(d + System.lineSeparator()); }
        @Override public PrintStream append(CharSequence csq) { emit(String.valueOf(csq)); return this; }
        @Override public PrintStream format(String format, Object... args) { emit(String.format(format, args)); return this; }
        @Override public PrintStream format(java.util.Locale l, String format, Object... args) { emit(String.format(l, format, args)); return this; }
        @Override public PrintStream printf(String format, Object... args) { return format(format, args); }
        @Override public PrintStream printf(java.util.Locale l, String format, Object... args) { return format(l, format, args); }
        @Override public void write(byte[] b, int off, int len) {
            // bytes written directly (a stack trace's writer): passed on, with the progress line wiped around them
            synchronized (Terminal.this) {
                if (!midLine) wipe();
                target.write(b, off, len);
                target.flush();
                midLine = len > 0 && b[off + len - 1] != '\n';
                if (!midLine) redraw();
            }
        }
        @Override public void write(int b) { write(new byte[] {(byte) b}, 0, 1); }
        @Override public void flush() { target.flush(); }
        @Override public void close() { target.flush(); }
    }
}
