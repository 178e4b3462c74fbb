package main

import (
	"context"
	"net/http"

	"github.com/scopecheck/scopecheck/gateway"
)

// clientTokens passes tokens to a verifier and notes, for the decision
// log, which client a verified token was issued to, so that a log can be
// read per client ("scopecheck suggest") without ever holding a token.
// The note travels in the request's context, which withClientNote adds.
// With a tenant claim (--tenant-claim) it notes the token's tenant too:
// one client_id may be a client of several tenants, each with its own
// tokens and scope.
type clientTokens struct {
	inner gateway.ClaimTokens
	// tenantClaim is the claim that names a token's tenant, or "".
	tenantClaim string
}

// clientNote is where clientTokens writes the client of one request's
// token, and its tenant, for the decision hook to read.
type clientNote struct{ client, tenant string }

type clientNoteKey struct{}

// withClientNote gives each request a place for its token's client.
func withClientNote(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientNoteKey{}, &clientNote{})))
	})
}

// clientOf is the client noted for r and its tenant, "" when its token
// did not verify or named none.
func clientOf(r *http.Request) (client, tenant string) {
	if n, ok := r.Context().Value(clientNoteKey{}).(*clientNote); ok {
		return n.client, n.tenant
	}
	return "", ""
}

func (c clientTokens) Scope(ctx context.Context, token string) (string, error) {
	s, _, err := c.Claims(ctx, token)
	return s, err
}

func (c clientTokens) Claims(ctx context.Context, token string) (string, map[string]any, error) {
	s, claims, err := c.inner.Claims(ctx, token)
	if err != nil {
		return s, claims, err
	}
	if n, ok := ctx.Value(clientNoteKey{}).(*clientNote); ok {
		n.client = tokenClient(claims)
		if t, ok := claims[c.tenantClaim].(string); ok && c.tenantClaim != "" && gateway.ValidTenant(t) {
			n.tenant = t
		}
	}
	return s, claims, nil
}

// tokenClient names the client a verified token was issued to: its
// client_id claim (RFC 9068 §2.2, RFC 7662 §2.2), or else its sub, which
// is the client itself in a client_credentials grant; "" when neither is
// a non-empty string.
func tokenClient(claims map[string]any) string {
	for _, name := range []string{"client_id", "sub"} {
		if v, ok := claims[name].(string); ok && v != "" {
			return v
		}
	}
	return ""
}
