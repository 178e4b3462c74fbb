package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/testjwt"
)

const (
	testIssuer   = "https://idp.example"
	testAudience = "config-api"
)

// goodClaims are claims that pass every check of a JWT verifier made with
// testIssuer and testAudience, with scope.
func goodClaims(scope string) jwt.MapClaims {
	return jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "exp": time.Now().Add(time.Hour).Unix(), "scope": scope}
}

// jwksServer serves a JWK Set that a test changes, and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	fetches atomic.Int32
	// before, when set, runs before each answer, with the fetch's number.
	before func(n int32)
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.fetches.Add(1)
		if s.before != nil {
			s.before(n)
		}
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	s.body, s.status = body, status
	s.mu.Unlock()
}

// readyJWT makes a verifier of the server's set and waits until it has
// loaded.
func readyJWT(t *testing.T, ctx context.Context, url string, opts JWTOptions) *JWT {
	t.Helper()
	opts.Issuer, opts.Audience, opts.Logger = testIssuer, testAudience, discard()
	j, err := NewJWTFromURL(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the key set to load", func() bool { return j.Ready() == nil })
	return j
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// unsigned is a token with the given header and claims and a signature
// of sigLen zero bytes.
func unsigned(header, claims map[string]any, sigLen int) string {
	t := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(claims))
	t.Header = header
	s, _ := t.SigningString()
	return s + "." + base64.RawURLEncoding.EncodeToString(make([]byte, sigLen))
}

func TestJWT(t *testing.T) {
	s := testjwt.New(t)
	v, err := NewJWT(s.JWKS, JWTOptions{Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := goodClaims("*:config/**")
	with := func(k string, val any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	other := testjwt.New(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecTok, _ := jwt.NewWithClaims(jwt.SigningMethodES256, good).SignedString(ec)
	hsTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString(s.JWKS)
	noKID := jwt.NewWithClaims(jwt.SigningMethodRS256, good)
	noKIDTok, _ := noKID.SignedString(s.Key)
	valid := s.Token(t, good)
	tests := []struct {
		name, token, scope string
		ok                 bool
	}{
		{"valid", valid, "*:config/**", true},
		{"no kid, one key in the set", noKIDTok, "*:config/**", true},
		{"no scope claim", s.Token(t, with("scope", nil)), "", false},
		{"scp", s.Token(t, jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "exp": now.Add(time.Hour).Unix(), "scp": []string{"*:a", ".:b"}}), "*:a .:b", true},
		{"expired", s.Token(t, with("exp", now.Add(-time.Hour).Unix())), "", false},
		{"no exp", s.Token(t, with("exp", nil)), "", false},
		{"not yet valid", s.Token(t, with("nbf", now.Add(time.Hour).Unix())), "", false},
		{"wrong issuer", s.Token(t, with("iss", "https://evil.example")), "", false},
		{"no issuer", s.Token(t, with("iss", nil)), "", false},
		{"wrong audience", s.Token(t, with("aud", "other")), "", false},
		{"other key", other.Token(t, good), "", false},
		{"unknown algorithm key", ecTok, "", false},
		{"HMAC with the public key", hsTok, "", false},
		{"alg none", unsigned(map[string]any{"alg": "none", "kid": "k1"}, good, 0), "", false},
		{"kid not a string", unsigned(map[string]any{"alg": "RS256", "kid": 1}, good, 256), "", false},
		{"signature cut", valid[:len(valid)-100], "", false},
		{"garbage", "a.b.c", "", false},
		{"two parts", "a.b", "", false},
	}
	for _, tc := range tests {
		got, err := v.Scope(context.Background(), tc.token)
		if (err == nil) != tc.ok || got != tc.scope {
			t.Errorf("%s: Scope = %q, %v; want %q, ok %v", tc.name, got, err, tc.scope, tc.ok)
		}
		if errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: a bad token is reported as an outage: %v", tc.name, err)
		}
	}
	// A token without a kid is refused when the set has several keys for
	// its algorithm: which one would be guessing.
	two, _ := NewJWT(testjwt.Set(t, s, other), JWTOptions{})
	if _, err := two.Scope(context.Background(), noKIDTok); err == nil || !strings.Contains(err.Error(), "several keys") {
		t.Errorf("a token without a kid against two keys: %v", err)
	}
}

// A verified token is kept until its exp, and not a moment longer, and
// until CacheTTL.
func TestJWTVerifiedCache(t *testing.T) {
	s := testjwt.New(t)
	v, err := NewJWT(s.JWKS, JWTOptions{CacheTTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	v.now = func() time.Time { return now }
	tok := s.Token(t, jwt.MapClaims{"exp": now.Add(time.Minute).Unix(), "scope": ".:a"})
	for i := 0; i < 2; i++ {
		if got, err := v.Scope(context.Background(), tok); err != nil || got != ".:a" {
			t.Fatalf("Scope = %q, %v", got, err)
		}
	}
	if s := v.CacheStats(); s.Len != 1 || s.Hits != 1 || v.verifies.Load() != 1 {
		t.Errorf("stats %+v, %d verifications; want one token kept and one hit", s, v.verifies.Load())
	}
	now = now.Add(2 * time.Minute) // past exp: the cache must not answer, and the parser refuses it
	if got, err := v.Scope(context.Background(), tok); err == nil {
		t.Errorf("an expired token gave %q from the cache", got)
	}

	// CacheTTL, when sooner than exp, ends the entry: the token is
	// verified again.
	short, _ := NewJWT(s.JWKS, JWTOptions{CacheTTL: time.Second})
	long := s.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:a"})
	short.Scope(context.Background(), long)
	later := time.Now().Add(2 * time.Second)
	short.now = func() time.Time { return later }
	short.Scope(context.Background(), long)
	if n := short.verifies.Load(); n != 2 {
		t.Errorf("a token past CacheTTL was verified %d times, want 2", n)
	}
}

// A token that fails a check that needs no key never makes the key set
// refresh; one that passes them and names an unknown kid does, at most
// once per UnknownKIDInterval, and a key published since is then found.
func TestJWTStructuralChecksSpendNoRefresh(t *testing.T) {
	k1, kx := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "kx")
	srv := newJWKSServer(t, k1.JWKS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const interval = time.Second
	j := readyJWT(t, ctx, srv.URL, JWTOptions{RefreshInterval: time.Hour, UnknownKIDInterval: interval})
	good := goodClaims("*:**")
	// Made before the clock matters: making an RSA key can take longer
	// than the interval on a loaded machine.
	ky := testjwt.NewKID(t, "ky")
	kyTok := ky.Token(t, good)
	with := func(k string, val any) jwt.MapClaims {
		c := goodClaims("*:**")
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	valid := kx.Token(t, good)
	longKID := testjwt.NewKID(t, strings.Repeat("k", 300))
	noKID, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, good).SignedString(kx.Key)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
	hs.Header["kid"] = "kx"
	hsTok, _ := hs.SignedString([]byte("secret"))
	for _, tc := range []struct{ name, token string }{
		{"not three parts", "abc.def"},
		{"four parts", valid + ".x"},
		{"header not base64", "!!!." + strings.SplitN(valid, ".", 2)[1]},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("{kid")) + "." + strings.SplitN(valid, ".", 2)[1]},
		{"alg none", unsigned(map[string]any{"alg": "none", "kid": "kx"}, good, 0)},
		{"alg HS256", hsTok},
		{"no kid (the set's one key is tried)", noKID},
		{"kid too long", longKID.Token(t, good)},
		{"kid not a string", unsigned(map[string]any{"alg": "RS256", "kid": 7}, good, 256)},
		{"signature too short", unsigned(map[string]any{"alg": "RS256", "kid": "kx"}, good, 10)},
		{"ES256 signature of 65 bytes", unsigned(map[string]any{"alg": "ES256", "kid": "kx"}, good, 65)},
		{"expired", kx.Token(t, with("exp", time.Now().Add(-time.Hour).Unix()))},
		{"no exp", kx.Token(t, with("exp", nil))},
		{"not yet valid", kx.Token(t, with("nbf", time.Now().Add(time.Hour).Unix()))},
		{"wrong issuer", kx.Token(t, with("iss", "https://evil.example"))},
		{"wrong audience", kx.Token(t, with("aud", "billing"))},
	} {
		if _, err := j.Scope(ctx, tc.token); err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Scope error %v, want a bad token", tc.name, err)
		}
		if n := srv.fetches.Load(); n != 1 {
			t.Fatalf("%s: the key set was fetched %d times, want once (at start)", tc.name, n)
		}
	}
	// Structurally sound, unknown kid: one refresh, then refused.
	if _, err := j.Scope(ctx, valid); err == nil || !strings.Contains(err.Error(), `unknown key id "kx"`) {
		t.Errorf("unknown kid: %v", err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("after a sound token with an unknown kid, %d fetches, want 2", n)
	}
	// Another at once is refused without a fetch.
	if _, err := j.Scope(ctx, kyTok); err == nil {
		t.Error("a token of an unknown key verified")
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("a second unknown kid within the interval fetched: %d fetches", n)
	}
	// A key published since is found once the interval has passed.
	srv.set(http.StatusOK, testjwt.Set(t, k1, ky))
	time.Sleep(interval + 50*time.Millisecond)
	if got, err := j.Scope(ctx, kyTok); err != nil || got != "*:**" {
		t.Errorf("a token of a newly published key: %q, %v", got, err)
	}
	if n := srv.fetches.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

// A key withdrawn from the set stops verifying at the next refresh,
// tokens verified with it before and cached included; so does a key
// replaced under the same kid.
func TestJWTRevocation(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	srv := newJWKSServer(t, testjwt.Set(t, k1, k2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := readyJWT(t, ctx, srv.URL, JWTOptions{RefreshInterval: time.Hour})
	tok1, tok2 := k1.Token(t, goodClaims(".:a")), k2.Token(t, goodClaims(".:b"))
	for _, tok := range []string{tok1, tok2} {
		if _, err := j.Scope(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	srv.set(http.StatusOK, testjwt.Set(t, k1))
	if err := j.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Scope(ctx, tok2); err == nil {
		t.Error("a cached token of a withdrawn key still verifies")
	}
	if got, err := j.Scope(ctx, tok1); err != nil || got != ".:a" {
		t.Errorf("a token of a key still in the set: %q, %v", got, err)
	}
	if n := j.verifies.Load(); n != 3 { // tok1, tok2, and tok2 again
		t.Errorf("%d verifications, want 3: the kept key's token should come from the cache", n)
	}
	// The same kid, another key.
	k1b := testjwt.NewKID(t, "k1")
	srv.set(http.StatusOK, testjwt.Set(t, k1b))
	j.Reload(ctx)
	if _, err := j.Scope(ctx, tok1); err == nil {
		t.Error("a cached token verifies after its kid was given another key")
	}
	if _, err := j.Scope(ctx, k1b.Token(t, goodClaims(".:a"))); err != nil {
		t.Errorf("a token of the new key: %v", err)
	}

	// Without Reload, the periodic refresh does it.
	srv.set(http.StatusOK, testjwt.Set(t, k1, k2))
	periodic := readyJWT(t, ctx, srv.URL, JWTOptions{RefreshInterval: 100 * time.Millisecond})
	if _, err := periodic.Scope(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusOK, testjwt.Set(t, k1))
	waitFor(t, "the withdrawn key to stop verifying", func() bool {
		_, err := periodic.Scope(ctx, tok2)
		return err != nil
	})
	// An empty set is a set: every key was withdrawn.
	srv.set(http.StatusOK, []byte(`{"keys": []}`))
	if err := periodic.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := periodic.Scope(ctx, tok1); err == nil || errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("with an empty set: %v, want a bad token", err)
	}
}

// Until a key set has loaded, and when a refresh for an unknown kid
// fails, a token cannot be checked: the error wraps gateway.ErrUnavailable. A
// fetch that fails keeps the keys that were loaded.
func TestJWTOutage(t *testing.T) {
	k1 := testjwt.NewKID(t, "k1")
	tok := k1.Token(t, goodClaims(".:a"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	j, err := NewJWTFromURL(ctx, down.URL, JWTOptions{Issuer: testIssuer, Audience: testAudience, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a first failed fetch", func() bool { return j.keys.failed.Load() != nil })
	if err := j.Ready(); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Ready with the JWKS unreachable: %v", err)
	}
	if _, err := j.Scope(ctx, tok); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Scope with no key set ever loaded: %v, want gateway.ErrUnavailable", err)
	}

	srv := newJWKSServer(t, []byte("upstream error"))
	srv.set(http.StatusBadGateway, []byte("upstream error"))
	j, _ = NewJWTFromURL(ctx, srv.URL, JWTOptions{Issuer: testIssuer, Audience: testAudience, RefreshInterval: time.Hour, Logger: discard()})
	waitFor(t, "a first fetch", func() bool { return srv.fetches.Load() > 0 && j.keys.failed.Load() != nil })
	if err := j.Ready(); !errors.Is(err, gateway.ErrUnavailable) || !strings.Contains(err.Error(), "502") {
		t.Errorf("Ready with the JWKS answering 502: %v", err)
	}
	if _, err := j.Scope(ctx, tok); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Scope before a set loaded: %v", err)
	}
	srv.set(http.StatusOK, k1.JWKS)
	if err := j.Reload(ctx); err != nil || j.Ready() != nil {
		t.Fatalf("Reload = %v, Ready = %v", err, j.Ready())
	}
	if _, err := j.Scope(ctx, tok); err != nil {
		t.Fatalf("Scope once loaded: %v", err)
	}
	// The JWKS goes down: known keys still verify; an unknown kid cannot
	// be checked.
	for _, broken := range []struct {
		status int
		body   string
	}{{http.StatusServiceUnavailable, ""}, {http.StatusOK, "<html>"}, {http.StatusOK, `{"kyes": []}`}, {http.StatusFound, ""}} {
		srv.set(broken.status, []byte(broken.body))
		if err := j.Reload(ctx); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("Reload of %d %q: %v", broken.status, broken.body, err)
		}
		if _, err := j.Scope(ctx, k1.Token(t, goodClaims(".:b"))); err != nil {
			t.Errorf("after a failed fetch (%d %q), a known key no longer verifies: %v", broken.status, broken.body, err)
		}
	}
	if _, err := j.Scope(ctx, testjwt.NewKID(t, "k9").Token(t, goodClaims(".:a"))); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("an unknown kid while the JWKS is down: %v, want gateway.ErrUnavailable", err)
	}
	if _, err := NewJWTFromURL(ctx, "file:///etc/jwks.json", JWTOptions{}); err == nil {
		t.Error("a file: URL was accepted")
	}
}

// A JWKS file is read again when it changes and on Reload; a version
// that does not parse leaves the keys as they were.
func TestJWTFileReload(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	dir := t.TempDir()
	path := filepath.Join(dir, "jwks.json")
	write := func(data []byte) {
		t.Helper()
		tmp := filepath.Join(dir, "new")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil { // as configuration tools replace files
			t.Fatal(err)
		}
	}
	write(k1.JWKS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := NewJWTFromFile(ctx, path, JWTOptions{Issuer: testIssuer, Audience: testAudience, RefreshInterval: time.Hour, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	tok1, tok2 := k1.Token(t, goodClaims(".:a")), k2.Token(t, goodClaims(".:b"))
	if _, err := j.Scope(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	// Only tok1 is presented, whose kid the set holds, so that nothing
	// but the change of the file makes it read again.
	write(k2.JWKS)
	waitFor(t, "the changed file to be read", func() bool {
		_, err := j.Scope(ctx, tok1)
		return err != nil
	})
	if _, err := j.Scope(ctx, tok2); err != nil {
		t.Errorf("a key added to the file: %v", err)
	}
	write([]byte("{not json"))
	if err := j.Reload(ctx); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Reload of a damaged file: %v", err)
	}
	if _, err := j.Scope(ctx, tok2); err != nil {
		t.Errorf("a damaged file took the keys away: %v", err)
	}
	write(k1.JWKS)
	if err := j.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Scope(ctx, tok2); err == nil {
		t.Error("Reload did not withdraw k2")
	}
	if _, err := NewJWTFromFile(ctx, filepath.Join(dir, "missing"), JWTOptions{}); err == nil {
		t.Error("a missing file was accepted")
	}
}

// heldFetch is a verifier of a JWKS URL that served k1 when it was made
// and serves k1 and k2 since: the first token of k2 makes it fetch again,
// and that fetch waits until the verifier has counted misses misses (at
// most 10 s), so that the callers' verifications are in flight together.
func heldFetch(t *testing.T, ctx context.Context, misses uint64) (*JWT, *jwksServer, testjwt.Signer) {
	t.Helper()
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	srv := newJWKSServer(t, k1.JWKS)
	j := readyJWT(t, ctx, srv.URL, JWTOptions{RefreshInterval: time.Hour})
	srv.set(http.StatusOK, testjwt.Set(t, k1, k2))
	srv.before = func(fetch int32) {
		for deadline := time.Now().Add(10 * time.Second); j.misses.Load() < misses && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	return j, srv, k2
}

// Concurrent first uses of one token verify it once, even when the key
// has to be fetched.
func TestJWTSingleflight(t *testing.T) {
	const n = 16
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The fetch for k2 waits until every caller has missed the cache.
	j, srv, k2 := heldFetch(t, ctx, n)
	tok := k2.Token(t, goodClaims("*:x/**"))
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = j.Scope(ctx, tok)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v, f := j.verifies.Load(), srv.fetches.Load(); v != 1 || f != 2 {
		t.Errorf("%d concurrent uses: %d verifications and %d fetches, want 1 and 2", n, v, f)
	}
}

var keepJWT *JWT

// A flood of distinct valid tokens with large scopes keeps the verified
// cache within its budget, and what it really holds within what it is
// charged.
func TestJWTCacheBudget(t *testing.T) {
	s := testjwt.New(t)
	const budget = 1 << 20
	var toks []string
	for i := 0; i < 400; i++ {
		toks = append(toks, s.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "sub": fmt.Sprint(i),
			"scope": strings.Repeat(fmt.Sprintf("*:t%d/**/x ", i), 400)}))
	}
	real, st := fillCache(t, s.JWKS, toks, budget)
	if st.Evictions == 0 || real > st.Bytes+64<<10 || real < st.Bytes/2 {
		t.Errorf("the cache holds %d bytes and is charged %d (%+v)", real, st.Bytes, st)
	}
}

// fillCache verifies toks, all valid against jwks, with a verifier whose
// cache has budget bytes, failing if what it is charged ever passes the
// budget; it returns the heap the verifier holds at the end, measured,
// and its cache's figures.
func fillCache(t *testing.T, jwks []byte, toks []string, budget int64) (int64, CacheStats) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keepJWT, _ = NewJWT(jwks, JWTOptions{CacheBytes: budget})
	for _, tok := range toks {
		if _, err := keepJWT.Scope(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		if st := keepJWT.CacheStats(); st.Bytes > budget {
			t.Fatalf("%d bytes charged over a budget of %d", st.Bytes, budget)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	real, st := int64(after.HeapAlloc)-int64(before.HeapAlloc), keepJWT.CacheStats()
	t.Logf("%d tokens of %d bytes: %+v, %d bytes measured", len(toks), len(toks[0]), st, real)
	keepJWT = nil
	return real, st
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Tokens that name a kid while a fetch is under way wait for it, rather
// than be refused by the rate of unknown-kid fetches.
func TestJWTUnknownKIDJoinsFetch(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	srv := newJWKSServer(t, k1.JWKS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := readyJWT(t, ctx, srv.URL, JWTOptions{RefreshInterval: time.Hour, UnknownKIDInterval: time.Hour})
	srv.set(http.StatusOK, testjwt.Set(t, k1, k2))
	// The fetch for k2 answers once both tokens have missed, and a moment
	// later, so that the second looks its kid up while the fetch is on.
	srv.before = func(int32) {
		for deadline := time.Now().Add(10 * time.Second); j.misses.Load() < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = j.Scope(ctx, k2.Token(t, goodClaims(fmt.Sprintf(".:t%d", i))))
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("token %d: %v", i, err)
		}
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

// Reload fetches a set published after it was called, even while a fetch
// that read the set before is still under way: it does not share that
// fetch's answer. So a key rotated and then reloaded (SIGHUP) is held
// when Reload returns, and Stats that follow a Reload count it.
func TestReloadSharesNoEarlierFetch(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	var mu sync.Mutex
	body := testjwt.Set(t, k1)
	read, release := make(chan struct{}), make(chan struct{})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		if fetches.Add(1) == 1 {
			close(read) // the first fetch has read the old set...
			<-release   // ...and answers only once Reload has been called
		}
		w.Write(b)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := NewJWTFromURL(ctx, srv.URL, JWTOptions{Issuer: testIssuer, Audience: testAudience, Logger: discard(), RefreshInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	<-read
	mu.Lock()
	body = testjwt.Set(t, k1, k2) // k2 published
	mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- j.Reload(ctx) }()
	// Give Reload time to join the first fetch if it would; either way
	// the first fetch must then answer.
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Reload: %v", err)
	}
	// Errors: the token was refused, or verifying it needed a fetch.
	type state struct {
		Keys   int
		Scope  string
		Errors bool
	}
	keys := j.KeySetStats().Keys // before a token could make it fetch
	fetched := fetches.Load()
	s, err := j.Scope(ctx, k2.Token(t, goodClaims("*:a")))
	got := state{keys, s, err != nil || fetches.Load() != fetched}
	if diff := cmp.Diff(state{2, "*:a", false}, got); diff != "" {
		t.Errorf("after Reload (-want +got):\n%s", diff)
	}
}

// resigned is tok's header and the claims c, with tok's signature: a
// token nobody signed, whose signature is a valid token's.
func resigned(t *testing.T, tok string, c jwt.MapClaims) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	body := base64.RawURLEncoding.EncodeToString(mustJSON(t, c))
	return parts[0] + "." + body + "." + parts[2]
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The cache of verified tokens is filed under the signature's digest,
// and answers only for exactly the token that was verified: a valid
// token's signature moved onto other claims, alone or while the valid
// token is being verified, is refused and leaves the valid token's entry
// where it was; and the entry holds a copy of the signed part only.
func TestJWTCacheAnswersOnlyTheVerifiedToken(t *testing.T) {
	const n = 8
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The fetch of k2 waits until every caller, honest or not, has missed
	// the cache, so that their verifications are in flight together.
	j, _, k2 := heldFetch(t, ctx, 2*n)
	claims := goodClaims(".:config/a")
	tok := k2.Token(t, claims)
	wider := goodClaims("*:config/**")
	forged := resigned(t, tok, wider)
	var wg sync.WaitGroup
	honest, moved := make([]error, n), make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) { defer wg.Done(); _, honest[i] = j.Scope(ctx, tok) }(i)
		go func(i int) { defer wg.Done(); _, moved[i] = j.Scope(ctx, forged) }(i)
	}
	wg.Wait()
	for i := range n {
		if honest[i] != nil {
			t.Errorf("the valid token, verified beside its forged copy: %v", honest[i])
		}
		if moved[i] == nil {
			t.Errorf("a valid token's signature on other claims verified, in flight beside it")
		}
	}
	// Now from the cache: the forged token still fails, and the valid
	// token's entry answers the valid token without a verification.
	verifies := j.verifies.Load()
	if got, err := j.Scope(ctx, forged); err == nil {
		t.Errorf("a valid token's signature on other claims verified from the cache: %q", got)
	}
	if j.verifies.Load() != verifies+1 {
		t.Errorf("the forged token was not verified on its own")
	}
	for _, other := range []string{
		tok[:strings.LastIndexByte(tok, '.')] + "X" + tok[strings.LastIndexByte(tok, '.'):], // the signed part longer
		tok[:strings.IndexByte(tok, '.')+1] + tok[strings.LastIndexByte(tok, '.'):],         // no claims
		strings.Replace(tok, ".", "..", 1),                                                  // four parts
	} {
		if got, err := j.Scope(ctx, other); err == nil {
			t.Errorf("%q, the valid token's signature under another signed part, gave %q", other, got)
		}
	}
	verifies = j.verifies.Load()
	if got, err := j.Scope(ctx, tok); err != nil || got != ".:config/a" {
		t.Errorf("the valid token after its forged copies: %q, %v", got, err)
	}
	if j.verifies.Load() != verifies {
		t.Errorf("the forged copies removed the valid token's entry: it was verified again")
	}
	signed, k, _ := signatureKey(tok)
	e, ok := j.cache.Get(k)
	switch {
	case !ok:
		t.Fatal("no entry under the signature's digest")
	case e.signed != signed:
		t.Errorf("the entry's signed part is %q, want %q", e.signed, signed)
	case unsafe.StringData(e.signed) == unsafe.StringData(tok):
		t.Error("the entry's signed part is the token's own memory, which keeps the signature alive")
	}
}
