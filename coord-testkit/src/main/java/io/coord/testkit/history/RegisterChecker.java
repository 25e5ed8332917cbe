package io.coord.testkit.history;

import io.coord.testkit.register.FencedRegister;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cross-checks a {@link FencedRegister}'s accepted writes against the grants of a history
 * (as analysed by {@link FencedMutexChecker}). Stateless and thread-safe.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>The tokens of the accepted writes, in acceptance order, never decrease
 *       ({@link Violation.Kind#REGISTER_ORDER}): the register's own atomic check, verified
 *       from outside.</li>
 *   <li>Every accepted write's token is the token of some grant in the history (restricted to one
 *       key if given) ({@link Violation.Kind#UNKNOWN_TOKEN}): nobody wrote with a forged or
 *       recycled token, and the history is complete.</li>
 * </ul>
 * It also counts the stale writes the register rejected and the accepted writes made after
 * their grant's interval had ended. Times in messages are relative to the history's first event.
 */
public final class RegisterChecker {

    private RegisterChecker() {
    }

    /**
     * Checks {@code register} against the grants of all keys of {@code mutex}.
     *
     * @param mutex the {@link FencedMutexChecker}'s verdict on the same history
     * @param register the register the grants wrote to
     * @return the verdict
     */
    public static RegisterVerdict check(Verdict mutex, FencedRegister register) {
        return check(mutex, null, register.acceptedWrites(), register.rejectedCount());
    }

    /**
     * Checks {@code register} against the grants of one key of {@code mutex}.
     *
     * @param mutex the {@link FencedMutexChecker}'s verdict on the same history
     * @param key the key whose grants count; {@code null} for every key
     * @param register the register the grants wrote to
     * @return the verdict
     */
    public static RegisterVerdict check(Verdict mutex, String key, FencedRegister register) {
        return check(mutex, key, register.acceptedWrites(), register.rejectedCount());
    }

    /**
     * Checks a list of accepted writes (in acceptance order) against the grants of {@code mutex}.
     *
     * @param mutex               the {@link FencedMutexChecker}'s verdict on the same history
     * @param key                 only grants on this key count; {@code null} for every key
     * @param accepted            the accepted writes, in acceptance order
     * @param staleWritesRejected the number of writes the register rejected
     * @return the verdict
     */
    public static RegisterVerdict check(Verdict mutex, String key, List<FencedRegister.Write> accepted,
                                        int staleWritesRejected) {
        Map<Long, Interval> byToken = new HashMap<>();
        for (Interval iv : mutex.intervals()) {
            if (key == null || key.equals(iv.key())) {
                byToken.putIfAbsent(iv.token(), iv);
            }
        }
        long origin = mutex.originNanos();
        List<Violation> violations = new ArrayList<>();
        int afterEnd = 0;
        FencedRegister.Write prev = null;
        for (FencedRegister.Write w : accepted) {
            String k = key == null ? "" : key;
            if (prev != null && w.token() < prev.token()) {
                violations.add(new Violation(Violation.Kind.REGISTER_ORDER, k, w.writer(), w.token(),
                        w.atNanos(), "register accepted " + w.writer() + "'s write #" + w.sequence()
                        + " with token " + w.token() + " at " + FencedMutexChecker.at(w.atNanos(), origin)
                        + " after accepting " + prev.writer() + "'s write #" + prev.sequence()
                        + " with the higher token " + prev.token()));
            }
            Interval iv = byToken.get(w.token());
            if (iv == null) {
                violations.add(new Violation(Violation.Kind.UNKNOWN_TOKEN, k, w.writer(), w.token(),
                        w.atNanos(), "register accepted " + w.writer() + "'s write #" + w.sequence()
                        + " with token " + w.token() + " at " + FencedMutexChecker.at(w.atNanos(), origin)
                        + " but no grant" + (key == null ? "" : " on '" + key + "'")
                        + " in the history has that token"));
            } else if (!iv.open() && w.atNanos() >= iv.endNanos()) {
                afterEnd++;
            }
            prev = w;
        }
        return new RegisterVerdict(violations, accepted.size(), staleWritesRejected, afterEnd);
    }
}
