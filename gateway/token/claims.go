package token

import "context"

// Claims verifies the token as Scope does and returns its scope and its
// verified claims, for a tenant binding (TenantClaim). The claims are
// shared with the cache of verified tokens: read them, never change them.
func (j *JWT) Claims(ctx context.Context, token string) (string, map[string]any, error) {
	v, err := j.verify(ctx, token)
	if err != nil {
		return "", nil, err
	}
	return v.scope, v.claims, nil
}

// Claims asks about the token as Scope does and returns its scope and the
// members of the endpoint's answer, for a tenant binding (TenantClaim).
// The claims are shared with the cache of answers: read them, never
// change them.
func (in *Introspection) Claims(ctx context.Context, token string) (string, map[string]any, error) {
	e, err := in.lookup(ctx, token)
	if err != nil {
		return "", nil, err
	}
	if e.err != nil {
		return "", nil, e.err
	}
	return e.scope, e.claims, nil
}
