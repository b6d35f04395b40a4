package io.gmq.net.security;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler of a listener's server channel: it sees every accepted socket (Netty passes
 * each one down the server channel's pipeline as a {@link Channel} message) before the bootstrap
 * registers it with a worker event loop and installs gRPC's TLS and HTTP/2 handlers. A socket over
 * a {@link ConnectionLimiter} limit is closed right here, so a refused connection costs the server
 * one accept and one close, and nothing is ever read from it.
 *
 * <p>An admitted socket is released when its channel's close future completes. Netty completes
 * that future on every close path of a channel, including a failed registration with the event
 * loop, so the limiter's count cannot leak.
 */
@ChannelHandler.Sharable
final class AcceptGate extends ChannelInboundHandlerAdapter {
    private final ConnectionLimiter limiter;

    AcceptGate(ConnectionLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String key = limiter.admit(child.remoteAddress());
        if (key == null) {
            // Not registered yet: no event loop owns it, so close the socket directly.
            child.unsafe().closeForcibly();
            return;
        }
        child.closeFuture().addListener(f -> limiter.release(key));
        ctx.fireChannelRead(child);
    }
}
