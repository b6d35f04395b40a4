package io.gmq.testkit;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The verdict of {@link QueueChecker#check}: counts, the payload sets behind them, and the findings.
 * Counts are of distinct payload ids.
 */
public final class CheckResult {
    /** Lines per criterion in {@link #report()}; the rest are summarised as a count. */
    private static final int REPORT_LINES_PER_CRITERION = 20;

    private final int attempted;
    private final int acked;
    private final int indeterminate;
    private final int consumed;
    private final Set<String> lost;
    private final int lostAcknowledged;
    private final Set<String> unexpected;
    private final Set<String> duplicated;
    private final List<Finding> findings;

    CheckResult(
            int attempted,
            int acked,
            int indeterminate,
            int consumed,
            Set<String> lost,
            int lostAcknowledged,
            Set<String> unexpected,
            Set<String> duplicated,
            List<Finding> findings) {
        this.attempted = attempted;
        this.acked = acked;
        this.indeterminate = indeterminate;
        this.consumed = consumed;
        this.lost = Set.copyOf(lost);
        this.lostAcknowledged = lostAcknowledged;
        this.unexpected = Set.copyOf(unexpected);
        this.duplicated = Set.copyOf(duplicated);
        this.findings = List.copyOf(findings);
    }

    /** True when no criterion was violated. */
    public boolean valid() {
        return findings.isEmpty();
    }

    public List<Finding> findings() {
        return findings;
    }

    public List<Finding> findings(Finding.Criterion criterion) {
        return findings.stream().filter(f -> f.criterion() == criterion).toList();
    }

    /** Payloads with at least one attempt. */
    public int attempted() {
        return attempted;
    }

    /** Payloads acknowledged at least once. */
    public int acked() {
        return acked;
    }

    /** Payloads whose outcome stayed unknown: an indeterminate send and no acknowledgement. */
    public int indeterminate() {
        return indeterminate;
    }

    /** Payloads consumed at least once. */
    public int consumed() {
        return consumed;
    }

    /**
     * Lost payloads. By default: acknowledged and never consumed (each one is also a finding). At
     * most once ({@link QueueChecker.Options#qos0()}): every payload that may have been
     * written and was never consumed, allowed and so only counted.
     */
    public int lost() {
        return lost.size();
    }

    /** The acknowledged ones among {@link #lost()}. */
    public int lostAcknowledged() {
        return lostAcknowledged;
    }

    public int unexpected() {
        return unexpected.size();
    }

    /** Payloads consumed more than once, whether or not the repeat was allowed. */
    public int duplicated() {
        return duplicated.size();
    }

    public Set<String> lostPayloads() {
        return lost;
    }

    public Set<String> unexpectedPayloads() {
        return unexpected;
    }

    public Set<String> duplicatedPayloads() {
        return duplicated;
    }

    /** A multi-line, human-readable summary: counts first, then findings grouped by criterion. */
    public String report() {
        StringBuilder out = new StringBuilder();
        out.append(valid() ? "queue history VALID" : "queue history INVALID (" + findings.size() + " findings)")
                .append('\n')
                .append(String.format(
                        "  attempted=%d acked=%d indeterminate=%d consumed=%d lost=%d (acknowledged %d) unexpected=%d"
                                + " duplicated=%d%n",
                        attempted,
                        acked,
                        indeterminate,
                        consumed,
                        lost(),
                        lostAcknowledged,
                        unexpected(),
                        duplicated()));
        Map<Finding.Criterion, List<Finding>> byCriterion = new EnumMap<>(Finding.Criterion.class);
        for (Finding f : findings) {
            byCriterion
                    .computeIfAbsent(f.criterion(), c -> new java.util.ArrayList<>())
                    .add(f);
        }
        byCriterion.forEach((criterion, list) -> {
            out.append("  ").append(criterion).append(" (").append(list.size()).append("):\n");
            list.stream()
                    .limit(REPORT_LINES_PER_CRITERION)
                    .forEach(f -> out.append("    - ").append(f.message()).append('\n'));
            if (list.size() > REPORT_LINES_PER_CRITERION) {
                out.append("    ... and ")
                        .append(list.size() - REPORT_LINES_PER_CRITERION)
                        .append(" more\n");
            }
        });
        return out.toString();
    }

    /** Throws an {@link AssertionError} carrying {@link #report()} unless the history is valid. */
    public void assertValid() {
        if (!valid()) {
            throw new AssertionError(report());
        }
    }

    @Override
    public String toString() {
        return report();
    }
}
