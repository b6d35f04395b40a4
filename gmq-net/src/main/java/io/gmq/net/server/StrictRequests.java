package io.gmq.net.server;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;

/**
 * Answers a request that is not a valid protobuf message of its method with INVALID_ARGUMENT.
 *
 * <p>grpc-java parses requests before any service code runs; a parse failure escapes as an
 * application error (UNKNOWN, and a SEVERE log line with a stack trace per request, which lets a
 * client flood the logs). Here each method's request marshaller returns null instead of throwing,
 * and the handler closes such a call with INVALID_ARGUMENT before the service sees it. Responses
 * and well-formed requests take exactly the original path.
 */
final class StrictRequests {
    private StrictRequests() {}

    static ServerServiceDefinition wrap(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor =
                ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            ServerMethodDefinition<?, ?> wrapped = wrap(m);
            methods.add(wrapped);
            descriptor.addMethod(wrapped.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : methods) {
            b.addMethod(m);
        }
        return b.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> wrap(ServerMethodDefinition<Q, R> definition) {
        MethodDescriptor<Q, R> method = definition.getMethodDescriptor();
        MethodDescriptor.Marshaller<Q> strict = method.getRequestMarshaller();
        MethodDescriptor.Marshaller<Q> lenient = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(Q value) {
                return strict.stream(value);
            }

            @Override
            public Q parse(InputStream stream) {
                try {
                    return strict.parse(stream);
                } catch (RuntimeException e) {
                    return null; // refused in the listener below, before the service sees it
                }
            }
        };
        MethodDescriptor<Q, R> lenientMethod =
                method.toBuilder(lenient, method.getResponseMarshaller()).build();
        ServerCallHandler<Q, R> handler = definition.getServerCallHandler();
        String name = method.getFullMethodName();
        ServerCallHandler<Q, R> refusing = (ServerCall<Q, R> serverCall, Metadata headers) -> {
            ServerCall.Listener<Q> delegate = handler.startCall(serverCall, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(delegate) {
                private boolean refused;

                @Override
                public void onMessage(Q message) {
                    if (refused) {
                        return;
                    }
                    if (message == null) {
                        refused = true;
                        serverCall.close(
                                Status.INVALID_ARGUMENT.withDescription(
                                        "request is not a valid protobuf message for " + name),
                                new Metadata());
                        return;
                    }
                    super.onMessage(message);
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        super.onHalfClose();
                    }
                }
            };
        };
        return ServerMethodDefinition.create(lenientMethod, refusing);
    }
}
