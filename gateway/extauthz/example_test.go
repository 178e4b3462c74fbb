package extauthz_test

import (
	"context"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/extauthz"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/match"
)

// An Envoy gRPC authorization service for an API under /{customerId},
// with gRPC's health service for Envoy's health checks.
func Example() {
	ctx := context.Background() // the server's lifetime
	tokens, err := token.NewJWTFromURL(ctx, "https://idp.example.com/.well-known/jwks.json",
		token.JWTOptions{Issuer: "https://idp.example.com", Audience: "config-api"})
	if err != nil {
		log.Fatal(err)
	}
	defer tokens.Close()
	cache, _ := match.NewCache(64 << 20)
	g := grpc.NewServer(extauthz.ServerCodec()) // a CheckRequest that is not UTF-8 is denied, not failed
	extauthz.New(gateway.AuthRequest(cache, tokens, gateway.Envoy(""), gateway.TenantClaim("tenant"))).Register(g)
	hs := health.NewServer() // NOT_SERVING until the key set has loaded: tokens.Ready()
	healthpb.RegisterHealthServer(g, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go g.Serve(ln)
	g.GracefulStop()
}
