package main

import (
	"github.com/scopecheck/scopecheck/gateway"
)

// clientOf names, for the decision log, the client that a decision's
// verified token was issued to, so that a log can be read per client
// ("scopecheck suggest") without ever holding a token; and, with a tenant
// claim (--tenant-claim, tenantClaim), the token's tenant too: one
// client_id may be a client of several tenants, each with its own tokens
// and scope. Both are "" when no token verified or it names none.
func clientOf(d *gateway.Decision, tenantClaim string) (client, tenant string) {
	client = tokenClient(d.Claims)
	if t, ok := d.Claims[tenantClaim].(string); ok && tenantClaim != "" && gateway.ValidTenant(t) {
		tenant = t
	}
	return client, tenant
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
