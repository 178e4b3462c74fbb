package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Tokens turns a bearer token into the scope it carries, after verifying
// it. An error means the token is not to be trusted, and no request made
// with it is allowed.
type Tokens interface {
	Scope(ctx context.Context, token string) (string, error)
}

// ErrInactive is the error for a token that introspection says is not active.
var ErrInactive = errors.New("gateway: token is not active")

// JWTOptions say what a JWT access token must carry beyond a valid
// signature and an unexpired exp (always required).
type JWTOptions struct {
	Issuer   string // when set, the iss claim must equal it
	Audience string // when set, the aud claim must hold it
}

// JWT verifies JWT access tokens against a JSON Web Key Set: the
// signature (asymmetric algorithms only, so that a public key can never
// serve as an HMAC secret), exp (required), nbf (when present), and iss
// and aud when configured. The scope is the scope claim, or the scp
// array joined by spaces. A verified token's scope is kept, in a bounded
// cache, until its exp (at most VerifiedTTL), so that a token sent again
// costs no signature check; exp is checked again on every use.
type JWT struct {
	keys     jwt.Keyfunc
	parser   *jwt.Parser
	verified *expirable.LRU[string, verifiedToken]
	now      func() time.Time
}

// VerifiedTTL bounds how long a verified JWT's scope is kept, and
// VerifiedTokens how many are.
const (
	VerifiedTTL    = 5 * time.Minute
	VerifiedTokens = 10000
)

type verifiedToken struct {
	scope string
	exp   time.Time
}

var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// NewJWT verifies against a JWKS document, such as a file's contents.
func NewJWT(jwks []byte, opts JWTOptions) (*JWT, error) {
	k, err := keyfunc.NewJWKSetJSON(jwks)
	if err != nil {
		return nil, fmt.Errorf("gateway: JWKS: %w", err)
	}
	return newJWT(k.Keyfunc, opts), nil
}

// NewJWTFromURL verifies against a JWKS served at url, refreshed in the
// background while ctx lives.
func NewJWTFromURL(ctx context.Context, url string, opts JWTOptions) (*JWT, error) {
	k, err := keyfunc.NewDefaultCtx(ctx, []string{url})
	if err != nil {
		return nil, fmt.Errorf("gateway: JWKS %s: %w", url, err)
	}
	return newJWT(k.Keyfunc, opts), nil
}

func newJWT(keys jwt.Keyfunc, o JWTOptions) *JWT {
	popts := []jwt.ParserOption{jwt.WithValidMethods(asymmetric), jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second)}
	if o.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		popts = append(popts, jwt.WithAudience(o.Audience))
	}
	return &JWT{keys: keys, parser: jwt.NewParser(popts...),
		verified: expirable.NewLRU[string, verifiedToken](VerifiedTokens, nil, VerifiedTTL), now: time.Now}
}

// Scope verifies the token and returns its scope.
func (j *JWT) Scope(_ context.Context, token string) (string, error) {
	if v, ok := j.verified.Get(token); ok && j.now().Before(v.exp) {
		return v.scope, nil
	}
	var claims jwt.MapClaims
	if _, err := j.parser.ParseWithClaims(token, &claims, j.keys); err != nil {
		return "", err
	}
	s, err := ScopeClaim(claims)
	if err != nil {
		return "", fmt.Errorf("gateway: %w", err)
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		j.verified.Add(token, verifiedToken{scope: s, exp: exp.Time})
	}
	return s, nil
}

// ScopeClaim returns the scope of a JWT access token's claims: the
// "scope" claim, a space-separated string, or, when there is none, the
// "scp" claim, an array of strings that it joins with spaces. Any other
// shape is an error that names the claim; nothing is guessed.
func ScopeClaim(claims jwt.MapClaims) (string, error) {
	switch s := claims["scope"].(type) {
	case string:
		return s, nil
	case nil:
	default:
		return "", errors.New("JWT claim scope is not a string")
	}
	if claims["scp"] == nil {
		return "", errors.New("JWT has neither a scope nor an scp claim")
	}
	arr, ok := claims["scp"].([]any)
	if !ok {
		return "", errors.New("JWT claim scp is not an array of strings")
	}
	parts := make([]string, len(arr))
	for i, v := range arr {
		if parts[i], ok = v.(string); !ok {
			return "", errors.New("JWT claim scp holds a non-string")
		}
	}
	return strings.Join(parts, " "), nil
}

// Introspection asks an RFC 7662 endpoint about each token, as a client
// with its own credentials, and caches each answer (inactive ones too)
// until the token's exp, at most MaxTTL, in a bounded cache.
type Introspection struct {
	endpoint     string
	clientID     string
	clientSecret string
	client       *http.Client
	cache        *expirable.LRU[string, introspected]
	now          func() time.Time
}

// IntrospectionMaxTTL bounds how long an answer is cached.
const IntrospectionMaxTTL = 5 * time.Minute

type introspected struct {
	scope  string
	active bool
	exp    time.Time
}

// NewIntrospection makes an introspection client. size bounds the cache.
func NewIntrospection(endpoint, clientID, clientSecret string, size int) *Introspection {
	return &Introspection{
		endpoint: endpoint, clientID: clientID, clientSecret: clientSecret,
		client: &http.Client{Timeout: 5 * time.Second},
		cache:  expirable.NewLRU[string, introspected](size, nil, IntrospectionMaxTTL),
		now:    time.Now,
	}
}

// Scope returns the token's scope if the endpoint says it is active.
func (in *Introspection) Scope(ctx context.Context, token string) (string, error) {
	if e, ok := in.cache.Get(token); ok && (e.exp.IsZero() || in.now().Before(e.exp)) {
		if !e.active {
			return "", ErrInactive
		}
		return e.scope, nil
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(in.clientID), url.QueryEscape(in.clientSecret))
	resp, err := in.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("gateway: introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("gateway: introspection answered %s", resp.Status)
	}
	var ans struct {
		Active bool   `json:"active"`
		Scope  string `json:"scope"`
		Exp    *int64 `json:"exp"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil {
		return "", fmt.Errorf("gateway: introspection answer: %w", err)
	}
	e := introspected{scope: ans.Scope, active: ans.Active}
	if ans.Exp != nil {
		e.exp = time.Unix(*ans.Exp, 0)
		if ans.Active && !in.now().Before(e.exp) {
			return "", errors.New("gateway: introspection says active, but exp has passed")
		}
	}
	in.cache.Add(token, e)
	if !e.active {
		return "", ErrInactive
	}
	return e.scope, nil
}
