package main

import (
	"context"
	"net"
	"net/http"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/extauthz"
)

// readinessPoll is how often the gRPC health service reads readiness.
const readinessPoll = 200 * time.Millisecond

// grpcFront is serve's gRPC listener: Envoy's ext_authz, and gRPC's
// health service (grpc.health.v1), whose status for "" and for the
// Authorization service follows readiness: NOT_SERVING until the token
// check can decide, SERVING then, NOT_SERVING again from shutdown on.
type grpcFront struct {
	srv    *grpc.Server
	health *health.Server
	ready  func() error
	done   chan struct{} // closed when the readiness watch has ended
}

// newGRPCFront decides with auth, and has hook observe the CheckRequests
// that never reach it (they do not decode, or are too large).
func newGRPCFront(auth http.Handler, hook func(*http.Request, gateway.Decision), ready func() error) *grpcFront {
	g := &grpcFront{srv: grpc.NewServer(extauthz.ServerCodec(), grpc.MaxRecvMsgSize(1<<20)), health: health.NewServer(), ready: ready, done: make(chan struct{})}
	extauthz.New(auth, extauthz.WithHook(hook)).Register(g.srv)
	healthpb.RegisterHealthServer(g.srv, g.health)
	g.setStatus()
	return g
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

// stop ends the calls in flight gracefully, and at ctx's end at once.
func (g *grpcFront) stop(ctx context.Context) {
	if g == nil {
		return
	}
	stopped := make(chan struct{})
	go func() { g.srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		g.srv.Stop()
	}
}
