package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/scope"
)

// requestFlags are serve's flags for the request side of a decision: the
// proxy in front, the path that answers decisions, and the mount.
type requestFlags struct {
	proxy, authPath     *string
	tenantClaim, tenant *string
	unsafeStrip         *int
	strip               *int // gone; kept to say what replaced it
	upgrades            *string
}

func addRequestFlags(fs *flag.FlagSet) *requestFlags {
	return &requestFlags{
		proxy:       fs.String("proxy", "", "the proxy in front (required): nginx, ingress-nginx, traefik, caddy or envoy"),
		authPath:    fs.String("auth-path", "/auth", "the one path that answers decisions; for envoy, the http_service's path_prefix"),
		tenantClaim: fs.String("tenant-claim", "", "the API is under /{tenant}: that segment must equal this claim of the token (a string)"),
		tenant:      fs.String("tenant", "", "the API is under /{tenant}: that segment must equal this value (with --tenant-claim, so must the token's claim)"),
		unsafeStrip: fs.Int("unsafe-strip-segments", 0, "remove this many leading segments and bind none to the token: a token then reaches every tenant"),
		strip:       fs.Int("strip-segments", 0, "replaced by --tenant-claim, --tenant and --unsafe-strip-segments"),
		upgrades:    fs.String("allow-upgrade", "", "protocols, comma-separated, that a request may ask to switch to (such as websocket; never h2c); by default every protocol switch is refused"),
	}
}

// setup checks the request-side flags and returns the proxy and the
// options they mean.
func (f *requestFlags) setup(fs *flag.FlagSet) (gateway.Proxy, []gateway.Option, []gateway.AuthOption, error) {
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
		return proxy, nil, nil, errors.New("give --proxy: the proxy in front (nginx, ingress-nginx, traefik, caddy or envoy) decides which headers can be believed")
	default:
		return proxy, nil, nil, fmt.Errorf("unknown --proxy %q: give nginx, ingress-nginx, traefik, caddy or envoy", *f.proxy)
	}
	if p := *f.authPath; !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "{}") || p == "/healthz" {
		return proxy, nil, nil, fmt.Errorf("--auth-path %q must begin with /, not end with /, and not be /healthz", p)
	} else if r, _ := scope.CheckPath(p); r != scope.Canonical {
		return proxy, nil, nil, fmt.Errorf("--auth-path %q is not a canonical path: %s", p, r.Describe())
	}
	if isSet(fs, "strip-segments") {
		return proxy, nil, nil, errors.New("--strip-segments is gone: it let a token of one tenant reach every other; " +
			"bind the segment with --tenant-claim NAME or --tenant VALUE, or say --unsafe-strip-segments N")
	}
	var opts []gateway.Option
	if *f.upgrades != "" {
		protocols := strings.Split(*f.upgrades, ",")
		for i, p := range protocols {
			protocols[i] = strings.TrimSpace(p)
			if !scope.GrantableMethod(protocols[i]) || strings.EqualFold(protocols[i], "h2c") {
				return proxy, nil, nil, fmt.Errorf("--allow-upgrade %q: give protocol names other than h2c, such as websocket (h2c carries further requests that no one would decide)", *f.upgrades)
			}
		}
		opts = append(opts, gateway.AllowUpgrade(protocols...))
	}
	var aopts []gateway.AuthOption
	switch {
	case *f.unsafeStrip < 0:
		return proxy, nil, nil, errors.New("--unsafe-strip-segments must be at least 0")
	case *f.unsafeStrip > 0 && (*f.tenant != "" || *f.tenantClaim != ""):
		return proxy, nil, nil, errors.New("--unsafe-strip-segments binds no tenant: give it without --tenant and --tenant-claim")
	case *f.unsafeStrip > 0:
		opts = append(opts, gateway.UnsafeStripSegments(*f.unsafeStrip))
	}
	if *f.tenant != "" {
		if !gateway.ValidTenant(*f.tenant) {
			return proxy, nil, nil, fmt.Errorf("--tenant %q is not a plain tenant: give letters, digits, '-', '.', '_' and '~' only (no escape)", *f.tenant)
		}
		v := *f.tenant
		opts = append(opts, gateway.TenantSegment(func(*http.Request) (string, bool) { return v, true }))
	}
	if *f.tenantClaim != "" {
		aopts = append(aopts, gateway.TenantClaim(*f.tenantClaim))
	}
	return proxy, opts, aopts, nil
}

// route makes the auth path, and only it, answer decisions: exactly that
// path, or for Envoy every target under it (the check request's target is
// the path prefix and the original target). Everything else goes to mux.
func (f *requestFlags) route(mux *http.ServeMux, auth http.Handler) http.Handler {
	if *f.proxy != "envoy" {
		mux.Handle(*f.authPath, auth)
		return mux
	}
	prefix := *f.authPath + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The raw target: ServeMux would clean "/auth/a/../b" and redirect.
		if strings.HasPrefix(r.RequestURI, prefix) {
			auth.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// requestAttrs are the log attributes of a decision's request side: the
// whole target as received, the path decided on, every other source that
// took part and the request it means (sources), and, for a refusal that
// names one, the source that refused it. Each is the client's, so each is
// clipped (gateway.Clip), and there are at most 2*gateway.MaxSources-1
// sources.
func requestAttrs(d gateway.Decision) []any {
	clip := gateway.Clip
	attrs := []any{"method", clip(d.Method), "target", clip(d.Target), "path", clip(d.Path)}
	if src := d.Sources(); len(src) > 0 {
		logged := make([]loggedSource, len(src))
		for i, x := range src {
			logged[i] = loggedSource{clip(x.Name), clip(anyMethod(x.Method)), clip(x.Target)}
		}
		attrs = append(attrs, "sources", logged)
	}
	switch d.Refusal {
	case gateway.Conflict:
		attrs = append(attrs, "source", clip(d.Other.Name), "source_method", clip(anyMethod(d.Other.Method)), "source_target", clip(d.Other.Target))
	case gateway.QueryToken:
		attrs = append(attrs, "source", clip(d.Other.Name))
	}
	return attrs
}

// loggedSource is a source as the log shows it.
type loggedSource struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Target string `json:"target"`
}

// anyMethod names the method of a source that may mean any.
func anyMethod(m string) string {
	if m == "" {
		return "(any)"
	}
	return m
}
