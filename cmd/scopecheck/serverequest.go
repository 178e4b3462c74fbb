package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/scope"
)

// ownPaths are the paths that serve's HTTP listener answers itself, which
// --auth-path may not take over.
var ownPaths = []string{"/healthz", "/readyz"}

// requestFlags are serve's flags for the request side of a decision: the
// proxy in front, the path that answers decisions, and the mount.
type requestFlags struct {
	proxy, authPath     *string
	tenantClaim, tenant *string
	unsafeStrip         *int
	strip               *int // gone; kept to say what replaced it
	upgrades            *string
	maxScope            byteSize
}

func addRequestFlags(fs *flag.FlagSet) *requestFlags {
	f := &requestFlags{
		proxy:       fs.String("proxy", "", "the proxy in front of the HTTP listener (required unless --grpc): nginx, ingress-nginx, traefik, caddy or envoy"),
		authPath:    fs.String("auth-path", "/auth", "the one path that answers decisions; for envoy, the http_service's path_prefix"),
		tenantClaim: fs.String("tenant-claim", "", "the API is under /{tenant}: that segment must equal this claim of the token (a string)"),
		tenant:      fs.String("tenant", "", "the API is under /{tenant}: that segment must equal this value (with --tenant-claim, so must the token's claim)"),
		unsafeStrip: fs.Int("unsafe-strip-segments", 0, "remove this many leading segments and bind none to the token: a token then reaches every tenant"),
		strip:       fs.Int("strip-segments", 0, "replaced by --tenant-claim, --tenant and --unsafe-strip-segments"),
		upgrades:    fs.String("allow-upgrade", "", "protocols, comma-separated, that a request may ask to switch to (such as websocket; never h2c); by default every protocol switch is refused"),
		maxScope:    byteSize(gateway.DefaultMaxScopeBytes),
	}
	fs.Var(&f.maxScope, "max-scope-bytes", "longest token scope compiled; a token whose scope is longer grants nothing (its requests are denied)")
	return f
}

// setup checks the request-side flags and returns the proxy and the
// options they mean.
func (f *requestFlags) setup(fs *flag.FlagSet, grpc bool) (gateway.Proxy, []gateway.Option, error) {
	var proxy gateway.Proxy
	switch *f.proxy {
	case "nginx":
		proxy = gateway.Nginx()
	case "ingress-nginx":
		proxy = gateway.IngressNginx()
	case "traefik":
		proxy = gateway.Traefik()
	case "caddy":
		proxy = gateway.Caddy()
	case "envoy":
		proxy = gateway.Envoy(*f.authPath)
	case "":
		if !grpc {
			return proxy, nil, errors.New("give --proxy: the proxy in front (nginx, ingress-nginx, traefik, caddy or envoy) decides which headers can be believed; or --grpc alone for Envoy's gRPC ext_authz")
		}
	default:
		return proxy, nil, fmt.Errorf("unknown --proxy %q: give nginx, ingress-nginx, traefik, caddy or envoy", *f.proxy)
	}
	if p := *f.authPath; !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "{}") || slices.Contains(ownPaths, p) {
		return proxy, nil, fmt.Errorf("--auth-path %q must begin with /, not end with /, and not be %s", p, strings.Join(ownPaths, " or "))
	} else if r, _ := scope.CheckPath(p); r != scope.Canonical {
		return proxy, nil, fmt.Errorf("--auth-path %q is not a canonical path: %s", p, r.Describe())
	}
	if isSet(fs, "strip-segments") {
		return proxy, nil, errors.New("--strip-segments is gone: it let a token of one tenant reach every other; " +
			"bind the segment with --tenant-claim NAME or --tenant VALUE, or say --unsafe-strip-segments N")
	}
	if f.maxScope < 1 || f.maxScope > 1<<30 {
		return proxy, nil, fmt.Errorf("--max-scope-bytes %d must be from 1 to 1GiB", f.maxScope)
	}
	opts := []gateway.Option{gateway.MaxScopeBytes(int(f.maxScope))}
	if *f.upgrades != "" {
		protocols := strings.Split(*f.upgrades, ",")
		for i, p := range protocols {
			protocols[i] = strings.TrimSpace(p)
			if !scope.GrantableMethod(protocols[i]) || strings.EqualFold(protocols[i], "h2c") {
				return proxy, nil, fmt.Errorf("--allow-upgrade %q: give protocol names other than h2c, such as websocket (h2c carries further requests that no one would decide)", *f.upgrades)
			}
		}
		opts = append(opts, gateway.AllowUpgrade(protocols...))
	}
	switch {
	case *f.unsafeStrip < 0:
		return proxy, nil, errors.New("--unsafe-strip-segments must be at least 0")
	case *f.unsafeStrip > 0 && (*f.tenant != "" || *f.tenantClaim != ""):
		return proxy, nil, errors.New("--unsafe-strip-segments binds no tenant: give it without --tenant and --tenant-claim")
	case *f.unsafeStrip > 0:
		opts = append(opts, gateway.UnsafeStripSegments(*f.unsafeStrip))
	}
	if *f.tenant != "" {
		if !gateway.ValidTenant(*f.tenant) {
			return proxy, nil, fmt.Errorf("--tenant %q is not a plain tenant: give letters, digits, '-', '.', '_' and '~' only (no escape)", *f.tenant)
		}
		v := *f.tenant
		opts = append(opts, gateway.TenantSegment(func(*http.Request) (string, bool) { return v, true }))
	}
	if *f.tenantClaim != "" {
		opts = append(opts, gateway.TenantClaim(*f.tenantClaim))
	}
	return proxy, opts, nil
}

// answersHTTP reports whether the HTTP listener answers decisions: it
// does behind every --proxy; with --grpc and no --proxy it serves health
// only.
func (f *requestFlags) answersHTTP() bool { return *f.proxy != "" }

// anyMethod names the method of a source that may mean any.
func anyMethod(m string) string {
	if m == "" {
		return "(any)"
	}
	return m
}
