package gateway

import (
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/match"
)

// Proxy is the proxy that sends AuthRequest its subrequests, and with it
// the one source of the original request's method and target that
// AuthRequest believes: what that proxy always overwrites, never what it
// passes on from the client. Every other source (see Middleware) is read
// too, as a second source that must mean an allowed request. The zero
// Proxy has no source, so AuthRequest denies every request behind it.
type Proxy struct {
	name         string
	methodHeader string // "": the subrequest's own method (Envoy)
	uriHeader    string // "": the subrequest's own target after prefix (Envoy)
	prefix       string
}

// Nginx is nginx's auth_request, configured as the README shows:
// X-Original-Method from $request_method and X-Original-URI from
// $request_uri, both set with proxy_set_header, which replaces what the
// client sent under those names.
func Nginx() Proxy {
	return Proxy{name: "nginx", methodHeader: "X-Original-Method", uriHeader: "X-Original-Uri"}
}

// IngressNginx is the Kubernetes ingress-nginx controller's external
// authentication (the auth-url annotation): X-Original-Method and
// X-Original-URL, which its template always sets, the latter as
// "$scheme://$http_host$request_uri". (It sets X-Original-URI only with
// the auth-method annotation, and passes the client's on otherwise.)
func IngressNginx() Proxy {
	return Proxy{name: "ingress-nginx", methodHeader: "X-Original-Method", uriHeader: "X-Original-Url"}
}

// Traefik is Traefik's forwardAuth middleware with trustForwardHeader
// false (its default): X-Forwarded-Method and X-Forwarded-Uri, which it
// then always sets from the request it received. With trustForwardHeader
// true it passes the client's values on, and no header is trustworthy.
func Traefik() Proxy {
	return Proxy{name: "traefik", methodHeader: "X-Forwarded-Method", uriHeader: "X-Forwarded-Uri"}
}

// Caddy is Caddy's forward_auth directive: X-Forwarded-Method and
// X-Forwarded-Uri, which it always sets (header_up), from the request it
// received.
func Caddy() Proxy {
	return Proxy{name: "caddy", methodHeader: "X-Forwarded-Method", uriHeader: "X-Forwarded-Uri"}
}

// Envoy is Envoy's ext_authz filter with an http_service: the check
// request has the original method and, as its target, the original path
// and query after pathPrefix (the http_service's path_prefix). A check
// request whose target does not begin with pathPrefix followed by "/" is
// denied.
func Envoy(pathPrefix string) Proxy { return Proxy{name: "envoy", prefix: pathPrefix} }

// String is the proxy's name, such as "ingress-nginx".
func (p Proxy) String() string { return p.name }

// original returns the original request's method and raw target, as this
// proxy sent them; "" for what is missing.
func (p Proxy) original(r *http.Request) (method, target string) {
	switch {
	case p.name == "":
		return "", ""
	case p.methodHeader == "":
		if t, ok := strings.CutPrefix(r.RequestURI, p.prefix); ok && strings.HasPrefix(t, "/") {
			return r.Method, t
		}
		return r.Method, ""
	}
	return first(r.Header[p.methodHeader]), first(r.Header[p.uriHeader])
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// TenantClaim mounts the API under "/{tenant}" and binds that segment to
// the token's claim of this name, a string, as TenantSegment binds it to a
// function's answer; with a TenantSegment too, both must give the same
// tenant. It needs the token's claims: AuthRequest and TokenMiddleware
// panic if their Tokens is not ClaimTokens, and Middleware, which has no
// token, panics on it.
func TenantClaim(name string) Option { return func(c *config) { c.claim = name } }

// AuthRequest is an authorization service for a proxy's subrequests
// (nginx's auth_request, ingress-nginx's auth-url, Traefik's forwardAuth,
// Caddy's forward_auth, Envoy's HTTP ext_authz). For each it reads the
// original method and target from the one source that proxy always sets,
// the bearer token from Authorization, and decides as Middleware does: the
// whole target, the mount bound to the token's tenant, and every other
// source of the method or target the subrequest carries. It answers 200 to
// allow, 401 without a usable token (missing, more than one, unverifiable,
// inactive), 503 when the token could not be checked at all (its error
// wraps ErrUnavailable: no key set loaded, introspection unreachable), or
// 403. It never allows on an error: a missing source, an
// unknown token, a failed introspection, a damaged scope are all answered
// with a denial. It panics on options that exclude each other, and on
// TenantClaim with Tokens that are not ClaimTokens.
func AuthRequest(cache *match.Cache, tokens Tokens, proxy Proxy, opts ...Option) http.Handler {
	g := newGuard(cache, tokens, opts, false)
	own := [2]string{proxy.methodHeader, proxy.uriHeader}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, target := proxy.original(r)
		g.serve(w, r, request{method: method, target: target, own: own}, nil)
	})
}

// bearer returns the token of the one "Authorization: Bearer" header. A
// request with several Authorization headers has no usable token: the
// upstream might read another one than the gateway.
func bearer(r *http.Request) (string, bool) {
	v := r.Header["Authorization"]
	if len(v) != 1 {
		return "", false
	}
	h := v[0]
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}
