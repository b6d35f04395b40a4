package io.gmq.internal.group;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The static members of one group: which member holds each group instance id now, and which
 * member ids lost their instance id to a newer join (fenced). Memory only: the holders follow from
 * the persisted members (rebuilt on restore); the fenced ids only sharpen an error message, so
 * after a restart a fenced member hears "not in group" instead of "fenced".
 *
 * <p>Invariant: {@link #holder(String)} of an instance id is a present member whose
 * {@link GroupMember#instanceId()} is that id; no two present members share an instance id.
 */
final class StaticInstances {
    /** Fenced member ids remembered per group; the oldest are forgotten first. */
    static final int MAX_FENCED_REMEMBERED = 1024;

    private final Map<String, String> holders = new HashMap<>();

    private final Map<String, String> fenced = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_FENCED_REMEMBERED;
        }
    };

    /** The member id holding {@code instanceId}, or null. */
    String holder(String instanceId) {
        return instanceId == null ? null : holders.get(instanceId);
    }

    void added(GroupMember member) {
        if (member.isStatic()) {
            holders.put(member.instanceId(), member.memberId());
            fenced.remove(member.memberId());
        }
    }

    void removed(GroupMember member) {
        if (member.isStatic()) {
            holders.remove(member.instanceId(), member.memberId());
        }
    }

    /** {@code memberId} lost {@code instanceId} to {@code newMemberId}. */
    void fenced(String memberId, String instanceId, String newMemberId) {
        fenced.put(memberId, "group instance id '" + instanceId + "' was taken over by member " + newMemberId);
    }

    /** Why {@code memberId} was fenced, or null if it was not (or it is forgotten). */
    String fencedReason(String memberId) {
        return fenced.get(memberId);
    }
}
