package io.gmq.net.security;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of a listener's server channel: it sees every accepted socket (Netty passes
 * each one down the server channel's pipeline as a {@link Channel} message) before the bootstrap
 * registers it with a worker event loop and installs gRPC's TLS and HTTP/2 handlers. A socket over
 * a {@link ConnectionLimiter} limit is closed right here, so a refused connection costs the server
 * one accept and one close, and nothing is ever read from it. Refusals are audited through a
 * {@link RejectionAudit}; when it holds some back, the gate schedules its summary line on the
 * accepting event loop one interval later, so a burst's count reaches the log even if the
 * refusals stop.
 *
 * <p>An admitted socket is released when its channel's close future completes. Netty completes
 * that future on every close path of a channel, including a failed registration with the event
 * loop, so the limiter's count cannot leak.
 */
@ChannelHandler.Sharable
final class AcceptGate extends ChannelInboundHandlerAdapter {
    private final ConnectionLimiter limiter;
    private final RejectionAudit audit;

    AcceptGate(ConnectionLimiter limiter, RejectionAudit audit) {
        this.limiter = limiter;
        this.audit = audit;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ConnectionLimiter.Admission admission = limiter.admit(child.remoteAddress());
        if (!admission.admitted()) {
            // Not registered yet: no event loop owns it, so close the socket directly.
            child.unsafe().closeForcibly();
            if (audit.rejected(admission.ip(), admission.refusal())) {
                ctx.executor().schedule(audit::flush, audit.intervalNanos(), TimeUnit.NANOSECONDS);
            }
            return;
        }
        String ip = admission.ip();
        child.closeFuture().addListener(f -> limiter.release(ip));
        ctx.fireChannelRead(child);
    }
}
