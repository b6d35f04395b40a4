package io.gmq.internal.group;

import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Computes a group's target assignment, topic by topic, keeping as much of the current one as
 * balance allows.
 *
 * <p>For a topic with {@code n} partitions and {@code m} subscribed members, every member's quota
 * is {@code n / m}, and {@code n % m} members get one more. The extra slots go to the members that
 * hold the most partitions now (ties: smaller member id), so the fewest partitions have to leave
 * their holder. Each member keeps its lowest-numbered held partitions up to its quota; the rest,
 * plus partitions nobody (valid) holds, form a sorted pool that fills members below quota in
 * member-id order.
 *
 * <p>Properties the tests rely on:
 * <ul>
 *   <li>Balance: per topic, the counts of its subscribers differ by at most one, and every
 *       partition of a subscribed topic that exists has a target.</li>
 *   <li>Minimal movement: the number of partitions that change holder is
 *       {@code sum(max(0, held - quota))} plus the unheld ones, the least any balanced result
 *       could move.</li>
 *   <li>Fixed point: a complete, balanced input comes back unchanged, so recomputing without a
 *       membership change never bumps the generation.</li>
 *   <li>Deterministic: only sorted ids and partition numbers decide.</li>
 * </ul>
 */
final class StickyAssignor {
    private StickyAssignor() {}

    /**
     * @param subscriptions   member id -> the topics it subscribes to
     * @param partitionCounts topic -> partition count; a topic that is absent or negative (does not
     *                        exist yet) contributes no partitions
     * @param current         partition -> member holding it now (its target, else its owner); holders
     *                        that are not subscribed members are ignored
     * @return partition -> target member, for every partition of every subscribed existing topic
     */
    static SortedMap<TopicPartition, String> assign(
            SortedMap<String, ? extends java.util.Set<String>> subscriptions,
            Map<String, Integer> partitionCounts,
            Map<TopicPartition, String> current) {
        SortedMap<String, List<String>> subscribersByTopic = new TreeMap<>();
        subscriptions.forEach((member, topics) -> {
            for (String topic : topics) {
                subscribersByTopic
                        .computeIfAbsent(topic, t -> new ArrayList<>())
                        .add(member);
            }
        });
        SortedMap<TopicPartition, String> result = new TreeMap<>();
        subscribersByTopic.forEach((topic, subscribers) -> {
            int partitions = partitionCounts.getOrDefault(topic, -1);
            if (partitions > 0) {
                assignTopic(topic, partitions, subscribers, current, result);
            }
        });
        return result;
    }

    /** {@code subscribers} is sorted (it was built from a sorted map). */
    private static void assignTopic(
            String topic,
            int partitions,
            List<String> subscribers,
            Map<TopicPartition, String> current,
            SortedMap<TopicPartition, String> out) {
        Map<String, List<Integer>> held = new HashMap<>();
        for (String member : subscribers) {
            held.put(member, new ArrayList<>());
        }
        List<Integer> pool = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<Integer> holderList = held.get(current.get(new TopicPartition(topic, p)));
            if (holderList != null) {
                holderList.add(p); // ascending, so "keep the lowest" is a prefix
            } else {
                pool.add(p);
            }
        }

        int base = partitions / subscribers.size();
        int extra = partitions % subscribers.size();
        List<String> byHeldDesc = new ArrayList<>(subscribers);
        byHeldDesc.sort(Comparator.comparingInt((String m) -> held.get(m).size())
                .reversed()
                .thenComparing(Comparator.naturalOrder()));
        Map<String, Integer> quota = new HashMap<>();
        for (int i = 0; i < byHeldDesc.size(); i++) {
            quota.put(byHeldDesc.get(i), i < extra ? base + 1 : base);
        }

        Map<String, Integer> count = new HashMap<>();
        for (String member : subscribers) {
            List<Integer> mine = held.get(member);
            int keep = Math.min(quota.get(member), mine.size());
            for (int i = 0; i < mine.size(); i++) {
                if (i < keep) {
                    out.put(new TopicPartition(topic, mine.get(i)), member);
                } else {
                    pool.add(mine.get(i));
                }
            }
            count.put(member, keep);
        }
        pool.sort(null);
        int next = 0;
        for (String member : subscribers) {
            for (int c = count.get(member); c < quota.get(member); c++) {
                out.put(new TopicPartition(topic, pool.get(next++)), member);
            }
        }
        assert next == pool.size() : "every partition gets a target";
    }
}
