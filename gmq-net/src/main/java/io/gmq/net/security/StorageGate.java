package io.gmq.net.security;

import io.gmq.GmqException;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.security.Authorizer;
import io.gmq.security.Operation;
import io.gmq.security.ResourceType;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The storage service is for brokers only: it appends and fetches below every topic ACL. When a
 * listener enforces ACLs (a standalone server, or a storage process given --acl-file), a call to
 * the storage service needs ADMIN on the cluster ({@code allow broker-1 cluster admin}); without
 * ACLs, the storage port is closed to non-brokers by its own token file or by mutual TLS.
 */
final class StorageGate implements ServerInterceptor {
    private final Authorizer authorizer;

    StorageGate(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (GmqStorageGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            try {
                authorizer.check(
                        SecurityContext.principal(), ResourceType.CLUSTER, BrokerAccess.CLUSTER_NAME, Operation.ADMIN);
            } catch (GmqException e) {
                call.close(
                        Status.PERMISSION_DENIED.withDescription(
                                "the storage service is for brokers: " + e.getMessage()),
                        new Metadata());
                return new ServerCall.Listener<>() {};
            }
        }
        return next.startCall(call, headers);
    }
}
