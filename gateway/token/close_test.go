package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/testjwt"
)

// Close ends every goroutine a verifier started: the refresh of a JWKS
// URL and of a file, the probe of an introspection endpoint that does
// not answer, and the connections of the clients they made.
func TestCloseEndsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	keys := testjwt.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(keys.JWKS) }))
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
	file := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(file, keys.JWKS, 0o600)

	fromURL, err := NewJWTFromURL(context.Background(), srv.URL, JWTOptions{Logger: discard(), RefreshInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := NewJWTFromFile(context.Background(), file, JWTOptions{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	probing := newTestIntrospection(t, down.URL, IntrospectionOptions{Probe: true, Logger: discard()})
	waitFor(t, "the key set to load", func() bool { return fromURL.Ready() == nil && fromURL.KeySetStats().Loads >= 2 })
	tok := keys.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": "*:a"})
	if s, err := fromURL.Scope(context.Background(), tok); err != nil || s != "*:a" {
		t.Fatalf("before Close: %q, %v", s, err)
	}
	var wg sync.WaitGroup
	for _, c := range []interface{ Close() error }{fromURL, fromFile, probing} {
		wg.Add(1)
		go func() { defer wg.Done(); c.Close(); c.Close() }() // a second Close does nothing
	}
	wg.Wait()
	// The keys held still verify.
	if s, err := fromURL.Scope(context.Background(), tok); err != nil || s != "*:a" {
		t.Errorf("after Close: %q, %v", s, err)
	}
	srv.Close()
	down.Close()
}

// Cause names why each kind of bad token was refused, and an outage as
// one.
func TestCause(t *testing.T) {
	keys, other := testjwt.New(t), testjwt.NewKID(t, "k2")
	j, err := NewJWT(keys.JWKS, JWTOptions{Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	claims := func(change map[string]any) jwt.MapClaims {
		c := goodClaims("*:a")
		for k, v := range change {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	good := keys.Token(t, goodClaims("*:a"))
	tampered := good[:len(good)-4] + "AAAA"
	if tampered == good {
		tampered = good[:len(good)-4] + "BBBB"
	}
	in := newTestIntrospection(t, mustIntrospection(t, func(tok string) (int, string) {
		switch tok {
		case "inactive":
			return 200, `{"active": false}`
		case "mac":
			return 200, `{"active": true, "token_type": "mac"}`
		case "old":
			return 200, `{"active": true, "exp": 1000}`
		}
		return 500, ""
	}), IntrospectionOptions{})
	neverLoaded, _ := NewJWTFromURL(context.Background(), "http://127.0.0.1:1/jwks", JWTOptions{Logger: discard()})
	defer neverLoaded.Close()
	for _, tc := range []struct {
		name  string
		check func() error
		want  string
	}{
		{"good", func() error { _, err := j.Scope(context.Background(), good); return err }, ""},
		{"not a JWT", func() error { _, err := j.Scope(context.Background(), "a.b.c"); return err }, CauseMalformed},
		{"signature", func() error { _, err := j.Scope(context.Background(), tampered); return err }, CauseSignature},
		{"expired", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})))
			return err
		}, CauseExpired},
		{"no exp", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"exp": nil})))
			return err
		}, CauseExpired},
		{"not yet", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"nbf": exp})))
			return err
		}, CauseNotYetValid},
		{"issuer", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"iss": "x"})))
			return err
		}, CauseIssuer},
		{"audience", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"aud": "x"})))
			return err
		}, CauseAudience},
		{"unknown key", func() error { _, err := j.Scope(context.Background(), other.Token(t, goodClaims("*:a"))); return err }, CauseUnknownKey},
		{"no scope", func() error {
			_, err := j.Scope(context.Background(), keys.Token(t, claims(map[string]any{"scope": nil})))
			return err
		}, CauseNoScope},
		{"inactive", func() error { _, err := in.Scope(context.Background(), "inactive"); return err }, CauseInactive},
		{"token type", func() error { _, err := in.Scope(context.Background(), "mac"); return err }, CauseTokenType},
		{"introspected, expired", func() error { _, err := in.Scope(context.Background(), "old"); return err }, CauseExpired},
		{"introspection failing", func() error { _, err := in.Scope(context.Background(), "x"); return err }, CauseUnavailable},
		{"no key set loaded", func() error { _, err := neverLoaded.Scope(context.Background(), good); return err }, CauseUnavailable},
		{"another error", func() error { return errors.New("x") }, CauseInvalid},
	} {
		if got := Cause(tc.check()); got != tc.want {
			t.Errorf("%s: Cause = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func mustIntrospection(t *testing.T, answer func(string) (int, string)) string {
	srv, _ := introspectionServer(t, answer)
	return srv.URL
}

// KeySetStats count loads and failures and the keys held; OnRequest sees
// every request to the introspection endpoint, and its outages.
func TestStats(t *testing.T) {
	keys := testjwt.New(t)
	srv := newJWKSServer(t, keys.JWKS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := readyJWT(t, ctx, srv.URL, JWTOptions{})
	if s := j.KeySetStats(); s.Keys != 1 || s.Loads != 1 || s.Failures != 0 {
		t.Errorf("after the first load: %+v", s)
	}
	srv.set(500, nil)
	if err := j.Reload(ctx); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("a failed reload: %v", err)
	}
	if s := j.KeySetStats(); s.Keys != 1 || s.Loads != 1 || s.Failures != 1 {
		t.Errorf("after a failed load: %+v", s)
	}
	srv.set(200, []byte(`{"keys": []}`))
	j.Reload(ctx)
	if s := j.KeySetStats(); s.Keys != 0 || s.Loads != 2 || s.Failures != 1 {
		t.Errorf("after every key was withdrawn: %+v", s)
	}

	var mu sync.Mutex
	var seen []error
	url := mustIntrospection(t, func(tok string) (int, string) {
		if tok == "good" {
			return 200, `{"active": true, "scope": "*:a"}`
		}
		return 502, ""
	})
	in := newTestIntrospection(t, url, IntrospectionOptions{OnRequest: func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if d <= 0 {
			t.Errorf("OnRequest: elapsed %v", d)
		}
		seen = append(seen, err)
	}})
	in.Scope(ctx, "good")
	in.Scope(ctx, "good") // a cache hit: no request
	in.Scope(ctx, "bad")
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != nil || !errors.Is(seen[1], gateway.ErrUnavailable) {
		t.Errorf("OnRequest saw %v, want nil and an outage", seen)
	}
}
