package token

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/scopecheck/scopecheck/internal/bytelru"
	"github.com/scopecheck/scopecheck/internal/memsize"
	"github.com/scopecheck/scopecheck/scope"
)

// JWTOptions say what a JWT access token must carry beyond a valid
// signature and an unexpired exp (always required), how the key set is
// kept fresh, and how verified tokens are cached. Zero fields take the
// defaults named.
type JWTOptions struct {
	Issuer   string // when set, the iss claim must equal it
	Audience string // when set, the aud claim must hold it

	// RefreshInterval is how often a JWKS URL is fetched, or a JWKS file
	// read, again (DefaultRefreshInterval). A key withdrawn from the set
	// stops verifying at the next refresh, cached verifications
	// included. A file is also read again within a second of changing,
	// and on Reload.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two fetches of a JWKS
	// URL made because a token names a key id the set does not hold
	// (DefaultUnknownKIDInterval); in between, such tokens are refused.
	// A token that fails any check that needs no key never causes one.
	UnknownKIDInterval time.Duration

	// CacheBytes bounds the memory of the cache of verified tokens
	// (DefaultTokenCacheBytes), and CacheTTL how long a verified token is
	// kept (DefaultTokenCacheTTL); never past its exp.
	CacheBytes int64
	CacheTTL   time.Duration

	// Leeway is the clock skew allowed when exp and nbf are checked
	// (DefaultLeeway): a token is accepted until Leeway after its exp,
	// and from Leeway before its nbf.
	Leeway time.Duration

	// Client fetches a JWKS URL (a client of its own by default). Whatever
	// client is given, redirects are not followed. FetchTimeout bounds
	// each fetch, and the wait of a token whose key id set one off
	// (DefaultFetchTimeout).
	Client       *http.Client
	FetchTimeout time.Duration
	// Logger receives a line when a key set loads or changes, and one
	// when a load fails (slog.Default() when nil).
	Logger *slog.Logger
}

// Defaults of JWTOptions and IntrospectionOptions.
const (
	DefaultRefreshInterval    = 5 * time.Minute
	DefaultUnknownKIDInterval = 10 * time.Second
	DefaultTokenCacheBytes    = 16 << 20
	DefaultTokenCacheTTL      = time.Minute
	DefaultInactiveTTL        = 10 * time.Second // how long an answer that refuses a token is kept
	DefaultLeeway             = 30 * time.Second
	DefaultFetchTimeout       = 10 * time.Second
	DefaultIntrospectTimeout  = 5 * time.Second
)

// maxKID bounds the key id of a token: a longer one is refused without a
// lookup.
const maxKID = 256

// JWT verifies JWT access tokens against a JSON Web Key Set: the
// signature (asymmetric algorithms only, so that a public key can never
// serve as an HMAC secret), exp (required), nbf (when present), and iss
// and aud when configured. The scope is the scope claim, or the scp
// array joined by spaces.
//
// Every check that needs no key (the token's shape, its algorithm, its
// kid, the length of its signature, and its claims, unverified) is made
// before a key is looked up, so that a token that fails one never makes
// the key set refresh. A verified token is kept, in a cache bounded in
// bytes, until its exp and at most CacheTTL; each use checks again that
// exp has not passed and that the key that verified it is still in the
// current set. The entry is filed under the SHA-256 of the token's
// signature and holds its signed part (header and claims, which are no
// credential without the signature), so that a use hashes the short
// signature, not the whole token, and is a hit only for exactly the token
// that was verified; no cache holds a token. Concurrent first uses of one
// token verify it once.
type JWT struct {
	keys      *keySet
	parser    *jwt.Parser
	validator *jwt.Validator
	cache     *bytelru.LRU[bytelru.Key, *verifiedToken]
	group     singleflight.Group
	ttl       time.Duration
	now       func() time.Time
	hits      atomic.Uint64
	misses    atomic.Uint64
	verifies  atomic.Uint64
	// bg is the refresh of a file or URL, and the client made for it.
	bg background
}

// verifiedToken is a cache entry: what a verified token carries, and
// what its use depends on.
type verifiedToken struct {
	scope string
	// claims are all of the token's verified claims, for deciding on more
	// than the scope.
	claims  jwt.MapClaims
	expires time.Time // the token's exp, or CacheTTL after verification if sooner
	fp      [32]byte  // the fingerprint of the key that verified it
	// signed is the token's header and claims, as sent: the entry is
	// filed under the SHA-256 of the signature alone, so a use is a hit
	// only if its signed part is this too.
	signed string
}

func (v *verifiedToken) size() int64 {
	n := memsize.AllocPointers(int(unsafe.Sizeof(*v))) + valueSize(v.claims) + memsize.String(v.signed)
	if _, ok := v.claims["scope"].(string); !ok {
		n += memsize.String(v.scope) // joined from scp; otherwise the claim itself
	}
	return int64(n)
}

var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// NewJWT verifies against a fixed JWKS document, such as a file's
// contents read once. It is ready at once.
func NewJWT(jwks []byte, opts JWTOptions) (*JWT, error) {
	keys, err := newFixedKeys(jwks)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS: %w", err)
	}
	return newJWT(keys, opts)
}

// NewJWTFromFile verifies against the JWKS in a file, read now (an error
// if it cannot be read or does not parse) and again, while ctx lives,
// within a second of each change, every RefreshInterval, and on Reload.
// A version that cannot be read or does not parse is logged and leaves
// the keys as they were.
func NewJWTFromFile(ctx context.Context, path string, opts JWTOptions) (*JWT, error) {
	keys := &keySet{source: path}
	keys.fetch = keys.fetchFile(path)
	data, err := keys.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS: %w", err)
	}
	t, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS: %s: %w", path, err)
	}
	keys.table.Store(t)
	keys.loads.Add(1)
	j, err := newJWT(keys, opts)
	if err != nil {
		return nil, err
	}
	j.bg.start(ctx, func(ctx context.Context) { keys.watchFile(ctx, path, refreshInterval(opts)) })
	return j, nil
}

// NewJWTFromURL verifies against a JWKS served at an http or https URL,
// fetched in the background while ctx lives: at once (and, until that
// succeeds, again after one second, two, four…), then every
// RefreshInterval, on Reload, and when a token names an unknown key id
// (at most once per UnknownKIDInterval). It returns at once; until a set
// has loaded, Ready and Scope return errors that wrap gateway.ErrUnavailable. A
// fetch that fails keeps the keys as they were.
func NewJWTFromURL(ctx context.Context, jwksURL string, opts JWTOptions) (*JWT, error) {
	u, err := url.Parse(jwksURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("token: JWKS URL %s is not an http or https URL", RedactURL(jwksURL))
	}
	client, own := noRedirectClient(opts.Client)
	keys := &keySet{source: RedactURL(jwksURL), fetch: fetchURL(jwksURL, client)}
	j, err := newJWT(keys, opts)
	if err != nil {
		return nil, err
	}
	j.bg.own = own
	j.bg.start(ctx, func(ctx context.Context) { keys.watchURL(ctx, refreshInterval(opts)) })
	return j, nil
}

// Close stops the background refresh of a JWKS file or URL and waits
// until it has ended, and closes the idle connections of the client that
// NewJWTFromURL made (a JWTOptions.Client is the caller's to close). The
// keys held go on verifying tokens; they are no longer refreshed. Close
// returns nil, and does nothing more when called again.
func (j *JWT) Close() error {
	j.bg.close()
	return nil
}

// noRedirectClient returns a client that follows no redirect: a copy of
// c, or, when c is nil, a client of its own (own), with a transport of its
// own so that Close can end its connections.
func noRedirectClient(c *http.Client) (client, own *http.Client) {
	if c == nil {
		own = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		c = own
	}
	cp := *c
	cp.CheckRedirect = noRedirect
	if own != nil {
		own = &cp
	}
	return &cp, own
}

// noRedirect makes an http.Client return a redirect as the answer, which
// is then refused as not 200.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func refreshInterval(o JWTOptions) time.Duration {
	if o.RefreshInterval > 0 {
		return o.RefreshInterval
	}
	return DefaultRefreshInterval
}

func newJWT(keys *keySet, o JWTOptions) (*JWT, error) {
	if o.RefreshInterval < 0 || o.UnknownKIDInterval < 0 || o.CacheBytes < 0 || o.CacheTTL < 0 || o.Leeway < 0 || o.FetchTimeout < 0 {
		return nil, errors.New("token: JWT options must not be negative")
	}
	keys.timeout = cmp.Or(o.FetchTimeout, DefaultFetchTimeout)
	if keys.log == nil {
		keys.log = o.Logger
		if keys.log == nil {
			keys.log = slog.Default()
		}
	}
	every := o.UnknownKIDInterval
	if every == 0 {
		every = DefaultUnknownKIDInterval
	}
	keys.unknown = rate.NewLimiter(rate.Every(every), 1)
	budget := o.CacheBytes
	if budget == 0 {
		budget = DefaultTokenCacheBytes
	}
	cache, err := bytelru.New[bytelru.Key, *verifiedToken](budget)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	j := &JWT{keys: keys, cache: cache, ttl: o.CacheTTL, now: time.Now}
	if j.ttl == 0 {
		j.ttl = DefaultTokenCacheTTL
	}
	popts := []jwt.ParserOption{jwt.WithValidMethods(asymmetric), jwt.WithExpirationRequired(), jwt.WithStrictDecoding(),
		jwt.WithLeeway(cmp.Or(o.Leeway, DefaultLeeway)), jwt.WithTimeFunc(func() time.Time { return j.now() })}
	if o.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		popts = append(popts, jwt.WithAudience(o.Audience))
	}
	j.parser, j.validator = jwt.NewParser(popts...), jwt.NewValidator(popts...)
	return j, nil
}

// Ready returns nil once a key set has loaded, and otherwise an error
// that wraps gateway.ErrUnavailable with the last failure.
func (j *JWT) Ready() error { return j.keys.ready() }

// Reload reads the JWKS file, or fetches the JWKS URL, now, as on a
// change, with a fetch begun after the call (never the answer of one
// already under way, which may predate the change); it does nothing for
// a fixed set. On an error (which wraps
// gateway.ErrUnavailable) the keys stay as they were.
func (j *JWT) Reload(ctx context.Context) error {
	if j.keys.fetch == nil {
		return nil
	}
	return j.keys.reload(ctx)
}

// CacheStats returns the figures of the cache of verified tokens.
func (j *JWT) CacheStats() CacheStats {
	return cacheStats(j.hits.Load(), j.misses.Load(), j.cache.Stats())
}

// KeySetStats are the figures of a JWT verifier's key set.
type KeySetStats struct {
	Keys     int    // usable signature keys in the set held now; 0 before one has loaded
	Loads    uint64 // loads of the file or URL that succeeded, changed or not
	Failures uint64 // loads that failed and left the keys as they were
}

// KeySetStats returns the figures of the key set.
func (j *JWT) KeySetStats() KeySetStats {
	s := KeySetStats{Loads: j.keys.loads.Load(), Failures: j.keys.failures.Load()}
	if t := j.keys.table.Load(); t != nil {
		s.Keys = len(t.keys)
	}
	return s
}

// Scope verifies the token and returns its scope.
func (j *JWT) Scope(ctx context.Context, token string) (string, error) {
	v, err := j.verify(ctx, token)
	if err != nil {
		return "", err
	}
	return v.scope, nil
}

// verify returns the cached verification of a token, or verifies it.
func (j *JWT) verify(ctx context.Context, token string) (*verifiedToken, error) {
	signed, k, err := signatureKey(token)
	if err != nil {
		j.misses.Add(1)
		return nil, err
	}
	if v, ok := j.cache.Get(k); ok && v.signed == signed {
		if j.now().Before(v.expires) && j.keys.holds(&v.fp) {
			j.hits.Add(1)
			return v, nil
		}
		j.cache.Remove(k)
	}
	// A different signed part under the same signature is a token that
	// was not verified (a signature moved onto other claims): it misses,
	// and the entry of the token that was stays.
	j.misses.Add(1)
	// The flight is keyed by the whole token, not the signature's digest,
	// so that a call never shares another token's answer; the key lives
	// only while the token is verified.
	r, err, _ := j.group.Do(token, func() (any, error) {
		v, err := j.parse(ctx, token)
		if err != nil {
			return nil, err
		}
		// A copy: the request's string would keep the whole token alive.
		v.signed = strings.Clone(signed)
		j.cache.Add(k, v, v.size())
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	// The flight looked its key up when it began: a caller that joined it
	// after a reload withdrew that key must not share its success, as a
	// hit would not.
	v := r.(*verifiedToken)
	if !j.keys.holds(&v.fp) {
		return nil, refuse(CauseUnknownKey, errors.New("token: JWT: the key that verified it has been withdrawn"))
	}
	return v, nil
}

// signatureKey splits a token at its last dot into its signed part and
// its signature, and returns the signed part and the key of its cache
// entry, the SHA-256 of the signature. A token is refused as malformed
// when it has no dot or when its signature holds a byte outside base64url
// without padding: the decoder would skip a CR or LF and the parser
// would accept the token, so one signature could be spelled in as many
// ways as there are places for them, each a verification and an entry
// of its own. (WithStrictDecoding closes the other spellings: the spare
// bits of the last character.)
func signatureKey(token string) (signed string, k bytelru.Key, err error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", k, refuse(CauseMalformed, errors.New("token: JWT: no dot, so not three parts"))
	}
	sig := token[i+1:]
	for n := 0; n < len(sig); n++ {
		if !base64url[sig[n]] {
			return "", k, refuse(CauseMalformed, fmt.Errorf("token: JWT: the signature has %q at byte %d, not a base64url character", sig[n], n))
		}
	}
	return token[:i], digest(sig), nil
}

// base64url holds the characters of base64url (RFC 4648 §5).
var base64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// parse verifies a token and returns what it carries.
func (j *JWT) parse(ctx context.Context, token string) (*verifiedToken, error) {
	j.verifies.Add(1)
	var claims jwt.MapClaims
	var used *verifyKey
	_, err := j.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		// The parser has checked the three parts, that the header and
		// claims decode, and the algorithm.
		kid, hasKID, err := j.structural(t)
		if err != nil {
			return nil, err
		}
		if used, err = j.keys.lookup(ctx, kid, hasKID, t.Method.Alg()); err != nil {
			return nil, err
		}
		return used.key, nil
	})
	if err != nil {
		return nil, fmt.Errorf("token: JWT: %w", err)
	}
	s, err := scope.FromClaims(claims)
	if err != nil {
		return nil, refuse(CauseNoScope, fmt.Errorf("token: %w", err))
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil { // the parser requires it; never cache without it
		return nil, errors.New("token: JWT: no exp")
	}
	v := &verifiedToken{scope: s, claims: claims, expires: exp.Time, fp: used.fp}
	if limit := j.now().Add(j.ttl); limit.Before(v.expires) {
		v.expires = limit
	}
	return v, nil
}

// structural makes the checks that need no key: a kid, when present, is
// a string of 1 to maxKID bytes; the signature has the length its
// algorithm gives; and the claims, unverified, pass the validator (exp,
// nbf, iss, aud). It returns the kid.
func (j *JWT) structural(t *jwt.Token) (kid string, hasKID bool, err error) {
	if v, ok := t.Header["kid"]; ok {
		kid, hasKID = v.(string)
		if !hasKID || kid == "" || len(kid) > maxKID {
			return "", false, refuse(CauseMalformed, fmt.Errorf("kid is not a string of 1 to %d bytes", maxKID))
		}
	}
	if alg, n := t.Method.Alg(), len(t.Signature); !signatureLength(alg, n) {
		return "", false, refuse(CauseMalformed, fmt.Errorf("a %d-byte signature cannot be %s", n, alg))
	}
	if err := j.validator.Validate(t.Claims); err != nil {
		return "", false, err
	}
	return kid, hasKID, nil
}

// signatureLength reports whether n bytes can be a signature of alg:
// RSA of 1024 to 8192 bits, or the fixed length of an ECDSA or EdDSA
// signature.
func signatureLength(alg string, n int) bool {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return n >= 128 && n <= 1024
	case alg == "ES256", alg == "EdDSA":
		return n == 64
	case alg == "ES384":
		return n == 96
	case alg == "ES512":
		return n == 132
	}
	return false
}
