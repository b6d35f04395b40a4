package io.gmq.internal.topic;

import io.gmq.GmqException;
import io.gmq.PartitionGrowth;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code growth} column of the {@code topics} table: a topic's {@link PartitionGrowth}s in
 * order, as text.
 *
 * <pre>
 *   growth   = "" | step *(";" step)
 *   step     = from ">" to ":" boundary *("," boundary)      one boundary per old partition
 *   example  = "3>5:120,98,143;5>8:300,250,301,40,37"
 * </pre>
 */
final class GrowthColumn {
    private GrowthColumn() {}

    static String encode(List<PartitionGrowth> growth) {
        StringBuilder out = new StringBuilder();
        for (PartitionGrowth g : growth) {
            if (out.length() > 0) {
                out.append(';');
            }
            out.append(g.fromPartitions()).append('>').append(g.toPartitions()).append(':');
            for (int p = 0; p < g.fromPartitions(); p++) {
                if (p > 0) {
                    out.append(',');
                }
                out.append(g.boundary(p));
            }
        }
        return out.toString();
    }

    /** INVALID_ARGUMENT for text {@link #encode} did not write. */
    static List<PartitionGrowth> decode(String text) {
        List<PartitionGrowth> out = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        try {
            for (String step : text.split(";", -1)) {
                int arrow = step.indexOf('>');
                int colon = step.indexOf(':');
                int from = Integer.parseInt(step.substring(0, arrow));
                int to = Integer.parseInt(step.substring(arrow + 1, colon));
                List<Long> boundaries = new ArrayList<>(from);
                for (String b : step.substring(colon + 1).split(",", -1)) {
                    boundaries.add(Long.parseLong(b));
                }
                out.add(new PartitionGrowth(from, to, boundaries));
            }
        } catch (RuntimeException e) {
            throw GmqException.invalidArgument("unreadable partition growth '" + text + "': " + e.getMessage());
        }
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).fromPartitions() != out.get(i - 1).toPartitions()) {
                throw GmqException.invalidArgument("partition growths '" + text + "' do not follow each other");
            }
        }
        return out;
    }
}
