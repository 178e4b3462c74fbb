package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
)

// introspectionServer answers introspection requests with answer(token),
// written as is, after checking the client's credentials.
func introspectionServer(t *testing.T, answer func(token string) (int, string)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "gw" || secret != "s3cret" || r.Method != http.MethodPost {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		status, body := answer(r.PostFormValue("token"))
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func newTestIntrospection(t *testing.T, url string, opts IntrospectionOptions) *Introspection {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = "gw", "s3cret"
	}
	in, err := NewIntrospection(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestIntrospection(t *testing.T) {
	exp := time.Now().Add(time.Hour).Unix()
	active := func(extra string) (int, string) {
		return 200, fmt.Sprintf(`{"active": true, "scope": ".:config/**", "exp": %d, "iss": "https://idp.example", "aud": ["x", "config-api"]%s}`, exp, extra)
	}
	srv, calls := introspectionServer(t, func(token string) (int, string) {
		switch token {
		case "good":
			return active("")
		case "bearer":
			return active(`, "token_type": "bearer"`)
		case "refresh":
			return active(`, "token_type": "refresh_token"`)
		case "other-issuer":
			return 200, fmt.Sprintf(`{"active": true, "scope": "*:**", "exp": %d, "iss": "https://evil.example", "aud": "config-api"}`, exp)
		case "other-audience":
			return 200, fmt.Sprintf(`{"active": true, "scope": "*:**", "exp": %d, "iss": "https://idp.example", "aud": "billing"}`, exp)
		case "no-audience":
			return 200, fmt.Sprintf(`{"active": true, "scope": "*:**", "exp": %d, "iss": "https://idp.example"}`, exp)
		case "inactive":
			return 200, `{"active": false}`
		case "stale":
			return 200, `{"active": true, "scope": "*:**", "exp": 1, "iss": "https://idp.example", "aud": "config-api"}`
		case "early":
			return 200, fmt.Sprintf(`{"active": true, "scope": "*:**", "nbf": %d, "iss": "https://idp.example", "aud": "config-api"}`, exp)
		// Answers that are not well-formed: the endpoint's fault.
		case "trailing":
			return 200, `{"active": false}{"active": true, "scope": "*:**"}`
		case "duplicate":
			return 200, `{"active": false, "scope": "*:**", "active": true}`
		case "no-active":
			return 200, `{"scope": "*:**"}`
		case "active-string":
			return 200, `{"active": "true", "scope": "*:**"}`
		case "scope-array":
			return 200, `{"active": true, "scope": ["*:**"]}`
		case "exp-string":
			return 200, `{"active": true, "scope": "*:**", "exp": "soon"}`
		case "error":
			return 502, `{"active": true, "scope": "*:**"}`
		}
		return 200, `not json`
	})
	in := newTestIntrospection(t, srv.URL, IntrospectionOptions{Issuer: "https://idp.example", Audience: "config-api"})
	for i := 0; i < 3; i++ {
		if s, err := in.Scope(context.Background(), "good"); err != nil || s != ".:config/**" {
			t.Fatalf("good token: %q, %v", s, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("the endpoint was asked %d times for one token; the answer should be cached", calls.Load())
	}
	if s, err := in.Scope(context.Background(), "bearer"); err != nil || s != ".:config/**" {
		t.Errorf("token_type bearer: %q, %v", s, err)
	}
	for _, tok := range []string{"inactive", "stale", "early", "refresh", "other-issuer", "other-audience", "no-audience"} {
		if s, err := in.Scope(context.Background(), tok); err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s token: %q, %v; want a refused token", tok, s, err)
		}
	}
	for _, tok := range []string{"trailing", "duplicate", "no-active", "active-string", "scope-array", "exp-string", "error", "garbage"} {
		if s, err := in.Scope(context.Background(), tok); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s answer: %q, %v; want gateway.ErrUnavailable", tok, s, err)
		}
	}
	// Without an issuer and audience configured, they are not checked.
	open := newTestIntrospection(t, srv.URL, IntrospectionOptions{})
	if _, err := open.Scope(context.Background(), "other-audience"); err != nil {
		t.Errorf("no audience configured: %v", err)
	}
	bad := newTestIntrospection(t, srv.URL, IntrospectionOptions{ClientID: "gw", ClientSecret: "wrong"})
	if _, err := bad.Scope(context.Background(), "good"); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("a refused introspection: %v, want gateway.ErrUnavailable", err)
	}
	down := newTestIntrospection(t, "http://127.0.0.1:1/introspect", IntrospectionOptions{})
	if _, err := down.Scope(context.Background(), "good"); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("an unreachable endpoint: %v, want gateway.ErrUnavailable", err)
	}
	if _, err := NewIntrospection("/introspect", IntrospectionOptions{}); err == nil {
		t.Error("a relative endpoint was accepted")
	}
}

// The client does not follow a redirect (which would post the token to
// another place), and gives up on an endpoint that does not answer in
// time; both are outages.
func TestIntrospectionRedirectAndTimeout(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		fmt.Fprint(w, `{"active": true, "scope": "*:**"}`)
	}))
	defer other.Close()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL, code)
		}))
		in := newTestIntrospection(t, redirect.URL, IntrospectionOptions{Client: &http.Client{}})
		if _, err := in.Scope(context.Background(), "tok"); !errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%d: %v, want gateway.ErrUnavailable", code, err)
		}
		redirect.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the token was posted %d times to where a redirect pointed", n)
	}
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	in := newTestIntrospection(t, slow.URL, IntrospectionOptions{Client: &http.Client{Timeout: 100 * time.Millisecond}})
	if _, err := in.Scope(context.Background(), "tok"); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("a timeout: %v, want gateway.ErrUnavailable", err)
	}
}

// Active answers are kept until exp and at most CacheTTL; refusals for
// InactiveTTL; outages not at all.
func TestIntrospectionTTL(t *testing.T) {
	now := time.Now()
	var status atomic.Int32
	status.Store(200)
	srv, calls := introspectionServer(t, func(token string) (int, string) {
		switch token {
		case "soon":
			return int(status.Load()), fmt.Sprintf(`{"active": true, "scope": ".:a", "exp": %d}`, now.Add(20*time.Second).Unix())
		case "late":
			return int(status.Load()), fmt.Sprintf(`{"active": true, "scope": ".:a", "exp": %d}`, now.Add(time.Hour).Unix())
		}
		return int(status.Load()), `{"active": false}`
	})
	in := newTestIntrospection(t, srv.URL, IntrospectionOptions{CacheTTL: time.Minute, InactiveTTL: 5 * time.Second})
	clock := now
	in.now = func() time.Time { return clock }
	ask := func(tok string) int32 {
		before := calls.Load()
		in.Scope(context.Background(), tok)
		return calls.Load() - before
	}
	for _, tok := range []string{"soon", "late", "bogus"} {
		ask(tok)
	}
	for _, step := range []struct {
		at         time.Duration
		tok        string
		wantAsked  int32
		whyAskedOr string
	}{
		{4 * time.Second, "bogus", 0, "a refusal is kept for InactiveTTL"},
		{6 * time.Second, "bogus", 1, "a refusal past InactiveTTL"},
		{19 * time.Second, "soon", 0, "an active answer before exp"},
		{21 * time.Second, "soon", 1, "an active answer past exp"},
		{59 * time.Second, "late", 0, "an active answer within CacheTTL"},
		{61 * time.Second, "late", 1, "an active answer past CacheTTL"},
	} {
		clock = now.Add(step.at)
		if got := ask(step.tok); got != step.wantAsked {
			t.Errorf("%s (at %s): asked %d times, want %d", step.whyAskedOr, step.at, got, step.wantAsked)
		}
	}
	status.Store(503)
	clock = now.Add(time.Hour)
	for i := 0; i < 2; i++ {
		if ask("late") != 1 {
			t.Error("an outage was cached")
		}
	}
}

// Concurrent first uses of one token make one request.
func TestIntrospectionSingleflight(t *testing.T) {
	const n = 16
	var in *Introspection
	srv, calls := introspectionServer(t, func(string) (int, string) {
		for deadline := time.Now().Add(10 * time.Second); in.misses.Load() < n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		return 200, `{"active": true, "scope": ".:a"}`
	})
	in = newTestIntrospection(t, srv.URL, IntrospectionOptions{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s, err := in.Scope(context.Background(), "tok"); err != nil || s != ".:a" {
				t.Errorf("Scope = %q, %v", s, err)
			}
		}()
	}
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Errorf("%d concurrent uses made %d requests, want 1", n, c)
	}
}

// Ready turns true once the endpoint answers, by a probe or a token.
func TestIntrospectionReady(t *testing.T) {
	var up atomic.Bool
	srv, _ := introspectionServer(t, func(string) (int, string) {
		if !up.Load() {
			return 503, "starting"
		}
		return 200, `{"active": false}`
	})
	in := newTestIntrospection(t, srv.URL, IntrospectionOptions{})
	if err := in.Ready(); !errors.Is(err, gateway.ErrUnavailable) {
		t.Errorf("Ready before any answer: %v", err)
	}
	if err := in.Probe(context.Background()); !errors.Is(err, gateway.ErrUnavailable) || in.Ready() == nil {
		t.Errorf("Probe of an endpoint answering 503: %v; Ready %v", err, in.Ready())
	}
	up.Store(true)
	if err := in.Probe(context.Background()); err != nil || in.Ready() != nil {
		t.Errorf("Probe = %v, Ready = %v", err, in.Ready())
	}
	if s := in.CacheStats(); s.Len != 0 {
		t.Errorf("a probe's answer was cached: %+v", s)
	}
}

var keepIntrospection *Introspection

// A flood of distinct tokens, bogus or active with large scopes, keeps
// the cache of answers within its budget, and what it really holds within
// what it is charged.
func TestIntrospectionCacheBudget(t *testing.T) {
	srv, _ := introspectionServer(t, func(token string) (int, string) {
		if strings.HasPrefix(token, "bogus") {
			return 200, `{"active": false}`
		}
		return 200, fmt.Sprintf(`{"active": true, "sub": %q, "scope": %q}`, token, strings.Repeat("*:"+token+"/** ", 300))
	})
	const budget = 512 << 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keepIntrospection = newTestIntrospection(t, srv.URL, IntrospectionOptions{CacheBytes: budget})
	for i := 0; i < 3000; i++ {
		tok := fmt.Sprintf("bogus%d-%s", i, strings.Repeat("x", 1000))
		if i%3 == 0 {
			tok = fmt.Sprintf("t%d", i)
		}
		keepIntrospection.Scope(context.Background(), tok)
		if st := keepIntrospection.CacheStats(); st.Bytes > budget {
			t.Fatalf("%d bytes charged over a budget of %d", st.Bytes, budget)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	real, st := int64(after.HeapAlloc-before.HeapAlloc), keepIntrospection.CacheStats()
	t.Logf("%+v, %d bytes measured", st, real)
	if st.Evictions == 0 || real > st.Bytes+128<<10 || real < st.Bytes/2 {
		t.Errorf("the cache holds %d bytes and is charged %d (%+v)", real, st.Bytes, st)
	}
	keepIntrospection = nil
}

var keepValues []any

// valueSize is honest about decoded JSON: at least what decoding really
// keeps, measured on many copies, and not more than twice as much.
func TestValueSizeMeasured(t *testing.T) {
	var groups, nested strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&groups, `"group-%d",`, i)
		fmt.Fprintf(&nested, `"claim%d": {"a": %d, "b": "v%d", "c": [true, null]},`, i, i, i)
	}
	for _, doc := range []string{
		`{"iss": "https://idp.example", "aud": "config-api", "exp": 1700000000, "sub": "c1", "scope": ".:config/**"}`,
		`{"active": true, "scp": [` + strings.TrimSuffix(groups.String(), ",") + `], "tenant": "acme"}`,
		`{` + strings.TrimSuffix(nested.String(), ",") + `}`,
		`{"scope": "` + strings.Repeat("*:a/** ", 1000) + `"}`,
	} {
		for _, useNumber := range []bool{false, true} {
			const k = 300
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			keepValues = make([]any, 0, k)
			for i := 0; i < k; i++ {
				var v any
				if useNumber {
					v, _ = decodeObject([]byte(doc))
				} else {
					var m jwt.MapClaims
					json.Unmarshal([]byte(doc), &m)
					v = m
				}
				keepValues = append(keepValues, v)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			per := int(after.HeapAlloc-before.HeapAlloc-uint64(cap(keepValues)*16)) / k
			est := valueSize(keepValues[0])
			t.Logf("%d-byte document (numbers kept %v): %d measured, %d estimated", len(doc), useNumber, per, est)
			if est < per*98/100 || est > 2*per {
				t.Errorf("%.40s… (numbers kept %v): %d bytes measured, valueSize %d", doc, useNumber, per, est)
			}
			keepValues = nil
		}
	}
}

// Callers that give up before a slow endpoint answers leave their
// requests running (they are shared), but never more than MaxRequests of
// them: a caller that finds them all taken gets an outage once its
// context ends, and no request is made for it.
func TestIntrospectionMaxRequests(t *testing.T) {
	const max, callers = 3, 12
	release := make(chan struct{})
	var running, most atomic.Int32
	srv, calls := introspectionServer(t, func(string) (int, string) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		return 200, `{"active": true, "scope": ".:a"}`
	})
	in := newTestIntrospection(t, srv.URL, IntrospectionOptions{MaxRequests: max, Timeout: 10 * time.Second})
	// The callers whose requests run wait for them: let them end once
	// every other caller has given up.
	time.AfterFunc(time.Second, func() { close(release) })
	var wg sync.WaitGroup
	var unavailable atomic.Int32
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if _, err := in.Scope(ctx, fmt.Sprintf("tok-%d", i)); errors.Is(err, gateway.ErrUnavailable) {
				unavailable.Add(1)
			}
		}()
	}
	wg.Wait()
	type result struct {
		Most, Calls, Unavailable int32
	}
	got := result{most.Load(), calls.Load(), unavailable.Load()}
	want := result{Most: max, Calls: max, Unavailable: callers - max}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%d callers of %d ms against a stalled endpoint (-want +got):\n%s", callers, 200, diff)
	}
}
