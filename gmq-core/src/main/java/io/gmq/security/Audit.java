package io.gmq.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security audit trail: every authentication failure and every denied authorization, at INFO
 * on the logger {@value #LOGGER_NAME}, so operators can route it to its own file. Tokens are never
 * logged.
 */
final class Audit {
    static final String LOGGER_NAME = "gmq.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);

    private Audit() {}

    static void authenticationFailed(String reason) {
        LOG.info("authentication failed: {}", reason);
    }

    static void denied(Principal principal, ResourceType type, String name, Operation operation, String reason) {
        LOG.info(
                "authorization denied: principal={} operation={} resource={}:{} reason={}",
                principal.name(),
                operation,
                type,
                name,
                reason);
    }
}
