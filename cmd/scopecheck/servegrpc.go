package main

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/extauthz"
)

// readinessPoll is how often the gRPC health service reads readiness.
const readinessPoll = 200 * time.Millisecond

// grpcWindow is the gRPC listener's flow-control window, per stream and
// per connection (the least gRPC takes): what a stream may hold unread
// beyond the message being received. A fixed window keeps gRPC from
// growing it to megabytes on a fast client's behalf.
const grpcWindow = 64 << 10

// grpcHeaderBytes bounds the headers of one gRPC call (Envoy's are a few
// hundred bytes; gRPC's default is 16 MiB).
const grpcHeaderBytes = 16 << 10

// grpcConnBytes is what one open gRPC connection holds at most besides its
// calls: the HTTP/2 framer's buffers, the header table, the headers of a
// call being read.
const grpcConnBytes = 48<<10 + grpcHeaderBytes

// grpcLimits bound the gRPC listener.
type grpcLimits struct {
	// calls is the most calls in flight across every connection, and on
	// one connection (SETTINGS_MAX_CONCURRENT_STREAMS); a call over it is
	// refused with RESOURCE_EXHAUSTED.
	calls int
	// messageBytes is the receive limit of one CheckRequest.
	messageBytes int
	// callTimeout bounds each call from its headers to its answer, the
	// reading of its message included; idle closes a connection without
	// calls for that long; maxAge closes any connection after that long,
	// once its calls are answered (at most callTimeout more).
	callTimeout, idle, maxAge time.Duration
	// handshake bounds a new connection's preface and SETTINGS (gRPC's
	// default is 2 minutes, a long hold at the connection cap).
	handshake time.Duration
}

// defaultGRPCLimits are the limits that serve's defaults give.
var defaultGRPCLimits = grpcLimits{calls: defaultGRPCCalls, messageBytes: defaultGRPCMessageBytes}

// bytes is the most the gRPC listener's calls and conns connections hold:
// each call its message and a window of data unread, each connection its
// own buffers.
func (l grpcLimits) bytes(conns int) int64 {
	return int64(l.calls)*int64(l.messageBytes+grpcWindow) + int64(conns)*grpcConnBytes
}

// grpcFront is serve's gRPC listener: Envoy's ext_authz, and gRPC's
// health service (grpc.health.v1), whose status for "" and for the
// Authorization service follows readiness: NOT_SERVING until the token
// check can decide, SERVING then, NOT_SERVING again from shutdown on.
type grpcFront struct {
	srv    *grpc.Server
	health *health.Server
	ready  func() error
	done   chan struct{} // closed when the readiness watch has ended
	// inflight counts the calls under way, for limits.calls; refused is
	// called on each call refused for it.
	inflight atomic.Int64
	limits   grpcLimits
	refused  func()
}

// newGRPCFront decides with auth, and has hook observe the CheckRequests
// that never reach it (they do not decode, or are too large).
func newGRPCFront(auth http.Handler, hook func(*http.Request, gateway.Decision), ready func() error, limits grpcLimits, refused func(), conns stats.Handler) *grpcFront {
	g := &grpcFront{health: health.NewServer(), ready: ready, done: make(chan struct{}), limits: limits, refused: refused}
	g.srv = grpc.NewServer(extauthz.ServerCodec(),
		grpc.MaxRecvMsgSize(limits.messageBytes),
		grpc.MaxConcurrentStreams(uint32(limits.calls)),
		grpc.StaticStreamWindowSize(grpcWindow), grpc.StaticConnWindowSize(grpcWindow),
		grpc.MaxHeaderListSize(grpcHeaderBytes),
		grpc.InTapHandle(g.admit), grpc.StatsHandler(conns),
		grpc.ConnectionTimeout(limits.handshake),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: limits.idle,
			MaxConnectionAge: limits.maxAge, MaxConnectionAgeGrace: limits.callTimeout}),
		// Envoy's HTTP/2 keepalive may ping every few seconds, with or
		// without calls; more often is abuse, and ends the connection.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}))
	extauthz.New(auth, extauthz.WithHook(hook)).Register(g.srv)
	healthpb.RegisterHealthServer(g.srv, g.health)
	g.setStatus()
	return g
}

// admit runs as each call begins, before its message is read: it refuses
// the call when limits.calls are under way, and bounds its time by
// callTimeout, so that a client that never finishes its message holds
// neither its memory nor its place past it.
func (g *grpcFront) admit(ctx context.Context, _ *tap.Info) (context.Context, error) {
	if g.inflight.Add(1) > int64(g.limits.calls) {
		g.inflight.Add(-1)
		if g.refused != nil {
			g.refused()
		}
		return nil, status.Errorf(codes.ResourceExhausted, "more than %d calls in flight", g.limits.calls)
	}
	ctx, cancel := context.WithTimeout(ctx, g.limits.callTimeout)
	// The call's context ends with the call (gRPC cancels it) or at the
	// timeout: either way its place is free again.
	context.AfterFunc(ctx, func() { cancel(); g.inflight.Add(-1) })
	return ctx, nil
}

// setStatus sets the health status from readiness.
func (g *grpcFront) setStatus() {
	st := healthpb.HealthCheckResponse_SERVING
	if g.ready() != nil {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	for _, service := range []string{"", authv3.Authorization_ServiceDesc.ServiceName} {
		g.health.SetServingStatus(service, st)
	}
}

// serve serves ln, following readiness until ctx ends.
func (g *grpcFront) serve(ctx context.Context, ln net.Listener) error {
	go func() {
		defer close(g.done)
		tick := time.NewTicker(readinessPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				g.setStatus()
			}
		}
	}()
	return g.srv.Serve(ln)
}

// stopping turns the health status NOT_SERVING for good. A nil front
// does nothing.
func (g *grpcFront) stopping() {
	if g == nil {
		return
	}
	<-g.done // no status set after this one
	g.health.Shutdown()
}

// stop ends the calls in flight gracefully, and at ctx's end at once,
// returning ctx's error then, as http.Server.Shutdown does. A nil front
// does nothing.
func (g *grpcFront) stop(ctx context.Context) error {
	if g == nil {
		return nil
	}
	stopped := make(chan struct{})
	go func() { g.srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		g.srv.Stop()
		return ctx.Err()
	}
}
