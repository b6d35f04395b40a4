package io.gmq.internal.group;

import io.gmq.GmqException;

/** Validation of the names a client chooses for its group membership (group, client id, member id). */
final class GroupNames {
    /** Same bound as Kafka's group ids, so names move between the systems unchanged. */
    static final int MAX_LENGTH = 249;

    private GroupNames() {}

    /** @param what what the name is, for the message ("group", "client id") */
    static String check(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw GmqException.invalidArgument(what + " must not be empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw GmqException.invalidArgument(what + " '" + name.substring(0, 32) + "...' is " + name.length()
                    + " characters long, at most " + MAX_LENGTH + " are allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw GmqException.invalidArgument(what + " '" + name.replaceAll("\\p{Cntrl}", "?")
                        + "' contains a control character at index " + i + "; use printable characters only");
            }
        }
        return name;
    }
}
