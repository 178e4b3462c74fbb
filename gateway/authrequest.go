package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/match"
)

// AuthOption configures AuthRequest beyond the Options it shares with
// Middleware.
type AuthOption func(*authConfig)

type authConfig struct {
	methodHeader, uriHeader string
}

// OriginalHeaders names the headers that carry the original request's
// method and URI; by default X-Original-Method and X-Original-URI, as
// nginx's auth_request is usually configured to send.
func OriginalHeaders(method, uri string) AuthOption {
	return func(c *authConfig) { c.methodHeader, c.uriHeader = method, uri }
}

// AuthRequest is an authorization service in the shape of nginx's
// auth_request (and usable by Envoy's HTTP ext_authz): for each
// subrequest it reads the original method and URI from headers (the query
// is dropped; the path stays escaped), the bearer token from
// Authorization, and answers 200 to allow, 401 without a usable token
// (missing, unverifiable, inactive), 503 when the token could not be
// checked at all (its error wraps ErrUnavailable: no key set loaded,
// introspection unreachable), or 403. It never allows on an error:
// missing headers, an unknown token, a failed introspection, a damaged
// scope are all answered with a denial. Options are Middleware's
// (StripSegments, WithHook).
func AuthRequest(cache *match.Cache, tokens Tokens, opts []Option, aopts ...AuthOption) http.Handler {
	var c config
	for _, o := range opts {
		o(&c)
	}
	ac := authConfig{methodHeader: "X-Original-Method", uriHeader: "X-Original-URI"}
	for _, o := range aopts {
		o(&ac)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, uri := r.Header.Get(ac.methodHeader), r.Header.Get(ac.uriHeader)
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		token, ok := bearer(r)
		if !ok {
			deny(w, r, c, Decision{Method: method, Path: uri, NoToken: true}, http.StatusUnauthorized)
			return
		}
		s, err := tokens.Scope(r.Context(), token)
		if err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, ErrUnavailable) {
				status = http.StatusServiceUnavailable // an outage, not a bad token
			}
			deny(w, r, c, Decision{Method: method, Path: uri, NoToken: true, TokenErr: err}, status)
			return
		}
		if method == "" || uri == "" {
			deny(w, r, c, Decision{Method: method, Path: uri}, http.StatusForbidden)
			return
		}
		if allowed, path := decide(cache, c, r, s, method, uri); !allowed {
			w.Header().Set("WWW-Authenticate", challenge(method, path))
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// deny answers a request that is refused before any scope is consulted.
func deny(w http.ResponseWriter, r *http.Request, c config, d Decision, status int) {
	if c.hook != nil {
		c.hook(r, d)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.WriteHeader(status)
}
