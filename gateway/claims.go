package gateway

import (
	"context"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Claims verifies the token as Scope does and returns its scope and its
// claims, for a tenant binding (TenantClaim). The claims are decoded from
// the very token Scope has just verified, as its parser decodes them, so
// they are the signed ones.
func (j *JWT) Claims(ctx context.Context, token string) (string, map[string]any, error) {
	s, err := j.Scope(ctx, token)
	if err != nil {
		return "", nil, err
	}
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		return "", nil, fmt.Errorf("gateway: %w", err)
	}
	return s, claims, nil
}
