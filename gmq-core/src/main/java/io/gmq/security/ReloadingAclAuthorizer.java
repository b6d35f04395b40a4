package io.gmq.security;

import java.nio.file.Path;

/**
 * ACLs from an ACL file (format: {@link AclFile}) that follows the file while the server runs:
 * every decision is made against the version in force at that moment, so after a reload the next
 * request sees the new rules. Evaluation is that of {@link Authorizer#fromAcls}.
 */
public final class ReloadingAclAuthorizer implements Authorizer, Reloadable {
    private final ReloadingFile<Authorizer> acls;

    private ReloadingAclAuthorizer(ReloadingFile<Authorizer> acls) {
        this.acls = acls;
    }

    /** Loads {@code aclFile} now; a missing or malformed file fails with its line number. */
    public static ReloadingAclAuthorizer load(Path aclFile) {
        return new ReloadingAclAuthorizer(ReloadingFile.load(
                aclFile, "ACL file", (lines, source) -> Authorizer.fromAcls(AclFile.parse(lines, source))));
    }

    @Override
    public boolean allowed(Principal principal, ResourceType type, String name, Operation operation) {
        return acls.current().allowed(principal, type, name, operation);
    }

    @Override
    public Path file() {
        return acls.file();
    }

    @Override
    public boolean reloadIfChanged() {
        return acls.reloadIfChanged();
    }

    @Override
    public Registration onReload(Runnable listener) {
        return acls.onReload(listener);
    }
}
