package io.gmq.net.security;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Netty event loops and server channel of one gRPC listener, with the {@link AcceptGate} of
 * its {@link ConnectionLimiter} as the first handler of the server channel.
 *
 * <p>grpc-netty offers no hook that refuses a connection before its TLS and HTTP/2 setup, but it
 * accepts a server channel factory; it then requires the caller to supply (and own) the event
 * loops too. So this object owns them: one acceptor thread ({@code gmq-accept}) and Netty's
 * default number of I/O threads ({@code gmq-net-io-N}, twice the cores), native epoll where
 * available and NIO elsewhere, the same choice grpc-netty makes by default. {@link #close()} shuts
 * them down; call it after the gRPC server has terminated.
 */
public final class ListenerTransport implements AutoCloseable {
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final ConnectionLimiter limiter;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Supplier<ServerChannel> serverChannel;

    private ListenerTransport(
            ConnectionLimiter limiter, EventLoopGroup boss, EventLoopGroup workers, Supplier<ServerChannel> channel) {
        this.limiter = limiter;
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = channel;
    }

    /** Event loops for a listener with the connection limits of {@code limits}. */
    public static ListenerTransport create(NetLimits limits) {
        ConnectionLimiter limiter = new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerIp());
        DefaultThreadFactory acceptThreads = new DefaultThreadFactory("gmq-accept", true);
        DefaultThreadFactory ioThreads = new DefaultThreadFactory("gmq-net-io", true);
        if (Epoll.isAvailable()) {
            return new ListenerTransport(
                    limiter,
                    new EpollEventLoopGroup(1, acceptThreads),
                    new EpollEventLoopGroup(0, ioThreads),
                    EpollServerSocketChannel::new);
        }
        return new ListenerTransport(
                limiter,
                new NioEventLoopGroup(1, acceptThreads),
                new NioEventLoopGroup(0, ioThreads),
                NioServerSocketChannel::new);
    }

    /** Counts of the listener's connections. */
    public ConnectionLimiter limiter() {
        return limiter;
    }

    /** Makes {@code b} use these event loops and a server channel that gates every accepted socket. */
    void applyTo(NettyServerBuilder b) {
        AcceptGate gate = new AcceptGate(limiter, RejectionAudit.toAuditLog());
        b.bossEventLoopGroup(boss).workerEventLoopGroup(workers).channelFactory(() -> {
            ServerChannel ch = serverChannel.get();
            // Added before the bootstrap appends its acceptor, so the gate sees each socket first.
            ch.pipeline().addLast(gate);
            return ch;
        });
    }

    @Override
    public void close() {
        boss.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        boolean interrupted = false;
        for (EventLoopGroup g : new EventLoopGroup[] {boss, workers}) {
            try {
                g.terminationFuture().await(2 * SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
