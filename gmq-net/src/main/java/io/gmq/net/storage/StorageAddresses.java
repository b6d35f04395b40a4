package io.gmq.net.storage;

import io.gmq.GmqException;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The storage nodes a broker may talk to ({@code --storage HOST:P1,HOST:P2,...}) as one gRPC
 * target: the channel holds a connection to the first that answers and moves to another when it
 * is lost (pick_first). Any node of a storage cluster serves the whole storage API, so which one
 * the broker holds does not matter; host names are resolved again at every refresh.
 */
final class StorageAddresses extends NameResolver.Factory {
    static final String SCHEME = "gmq-storage";

    private final List<String> hostPorts;

    private StorageAddresses(List<String> hostPorts) {
        this.hostPorts = hostPorts;
    }

    /** Parses {@code HOST:PORT[,HOST:PORT...]}; INVALID_ARGUMENT for an empty entry or a bad port. */
    static StorageAddresses parse(String list) {
        List<String> out = new ArrayList<>();
        for (String item : list.split(",")) {
            String s = item.trim();
            int colon = s.lastIndexOf(':');
            int port = -1;
            if (colon > 0) {
                try {
                    port = Integer.parseInt(s.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
            if (port < 1 || port > 65535) {
                throw GmqException.invalidArgument(
                        "storage address '" + s + "' is not HOST:PORT (list several with commas)");
            }
            out.add(s);
        }
        return new StorageAddresses(List.copyOf(out));
    }

    List<String> hostPorts() {
        return hostPorts;
    }

    String target() {
        return SCHEME + ":///" + String.join(",", hostPorts);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        return new NameResolver() {
            private Listener2 listener;

            @Override
            public String getServiceAuthority() {
                return hostPorts.get(0);
            }

            @Override
            public void start(Listener2 l) {
                this.listener = l;
                resolve();
            }

            @Override
            public void refresh() {
                resolve();
            }

            private void resolve() {
                List<EquivalentAddressGroup> groups = new ArrayList<>();
                for (String hp : hostPorts) {
                    int colon = hp.lastIndexOf(':');
                    InetSocketAddress a =
                            new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1)));
                    if (!a.isUnresolved()) {
                        groups.add(new EquivalentAddressGroup(a));
                    }
                }
                if (groups.isEmpty()) {
                    listener.onError(Status.UNAVAILABLE.withDescription("cannot resolve any of " + hostPorts));
                } else {
                    listener.onResult(
                            ResolutionResult.newBuilder().setAddresses(groups).build());
                }
            }

            @Override
            public void shutdown() {}
        };
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }
}
