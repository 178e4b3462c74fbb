package token

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sync/singleflight"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/bytelru"
	"github.com/scopecheck/scopecheck/internal/memsize"
)

// IntrospectionOptions configure an Introspection client. Zero fields
// take the defaults named.
type IntrospectionOptions struct {
	// ClientID and ClientSecret authenticate the gateway to the endpoint
	// (HTTP Basic, each form-encoded as RFC 6749 §2.3.1 says).
	ClientID, ClientSecret string

	Issuer   string // when set, an active answer's iss must equal it
	Audience string // when set, an active answer's aud must hold it

	// CacheTTL bounds how long an active answer is kept
	// (DefaultTokenCacheTTL); never past the token's exp. InactiveTTL is
	// how long an answer that refuses the token is kept
	// (DefaultInactiveTTL). CacheBytes bounds the cache's memory
	// (DefaultTokenCacheBytes).
	CacheTTL    time.Duration
	InactiveTTL time.Duration
	CacheBytes  int64

	// Leeway is the clock skew allowed when an active answer's nbf is
	// checked (DefaultLeeway). Its exp is checked as it is: the endpoint
	// has just said the token is active.
	Leeway time.Duration

	// Client makes the requests (a client of its own by default).
	// Whatever client is given, redirects are not followed: the token is
	// posted to the endpoint configured and nowhere else. Timeout bounds
	// each request (DefaultIntrospectTimeout).
	Client  *http.Client
	Timeout time.Duration

	// MaxRequests bounds the requests to the endpoint outstanding at
	// once (DefaultIntrospectMaxRequests). A request outlives the caller
	// that started it (it is shared with the callers that join it), so
	// without this bound callers that give up early could leave any
	// number running until Timeout. A lookup that finds them all taken
	// waits for one until its context ends, and then fails with an error
	// that wraps gateway.ErrUnavailable.
	MaxRequests int

	// Probe, when set, makes NewIntrospection ask the endpoint about a
	// token no server issued, at once and, until it answers, again after
	// one second, two, four… (at most thirty), so that Ready turns nil
	// before the first request comes. Close stops it. Logger receives a
	// line when a probe fails and when the endpoint answers
	// (slog.Default() when nil).
	Probe  bool
	Logger *slog.Logger

	// OnRequest, when set, is called after each request to the endpoint
	// (not after a cache hit) with the time it took and its error, which
	// wraps gateway.ErrUnavailable, or nil: for latency and error
	// metrics. It must not block.
	OnRequest func(elapsed time.Duration, err error)
}

// DefaultIntrospectMaxRequests is the default of
// IntrospectionOptions.MaxRequests: with a 50 ms endpoint, 320 new tokens
// a second, while what callers that have left can keep running stays a
// few megabytes.
const DefaultIntrospectMaxRequests = 16

// maxIntrospectionBytes bounds an introspection answer.
const maxIntrospectionBytes = 256 << 10

// Introspection asks an RFC 7662 endpoint about each token, as a client
// with its own credentials. An answer is used only if it is a 200 whose
// body is one JSON object (strictly: nothing after it, no member named
// twice) with a boolean "active"; anything else, like an endpoint that
// cannot be reached or times out, is an error that wraps gateway.ErrUnavailable.
// An active answer must carry, when configured, the issuer and the
// audience, its token_type (when present) must be Bearer, and its exp and
// nbf must hold now.
//
// Answers are cached, filed under the token's SHA-256 in a cache bounded
// in bytes: active ones until the token's exp and at most CacheTTL,
// refusals for InactiveTTL. Concurrent first uses of one token make one
// request.
type Introspection struct {
	endpoint    string
	opts        IntrospectionOptions
	client      *http.Client
	cache       *bytelru.LRU[bytelru.Key, *introspected]
	group       singleflight.Group
	slots       chan struct{} // one for each request outstanding
	ttl         time.Duration
	inactiveTTL time.Duration
	now         func() time.Time
	answered    atomic.Bool
	hits        atomic.Uint64
	misses      atomic.Uint64
	asks        atomic.Uint64
	leeway      time.Duration
	// bg is the probe, when Probe is set, and the client made here.
	bg background
}

// introspected is a cache entry: an answer about one token.
type introspected struct {
	scope string
	// claims are the members of an active answer, for deciding on more
	// than the scope.
	claims  map[string]any
	err     error // why the token is refused: ErrInactive, or what the answer lacks
	expires time.Time
}

func (e *introspected) size() int64 {
	n := memsize.AllocPointers(int(unsafe.Sizeof(*e))) + valueSize(e.claims) // the scope is one of the claims
	if e.err != nil && e.err != ErrInactive {
		n += 2 * memsize.String(e.err.Error())
	}
	return int64(n)
}

// NewIntrospection makes an introspection client for an http or https
// endpoint. With opts.Probe it starts probing the endpoint in the
// background; Close stops it.
func NewIntrospection(endpoint string, opts IntrospectionOptions) (*Introspection, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("token: introspection endpoint %s is not an http or https URL", RedactURL(endpoint))
	}
	if opts.CacheTTL < 0 || opts.InactiveTTL < 0 || opts.CacheBytes < 0 || opts.Leeway < 0 || opts.Timeout < 0 || opts.MaxRequests < 0 {
		return nil, errors.New("token: introspection options must not be negative")
	}
	in := &Introspection{endpoint: endpoint, opts: opts, ttl: opts.CacheTTL, inactiveTTL: opts.InactiveTTL, now: time.Now,
		leeway: cmp.Or(opts.Leeway, DefaultLeeway), slots: make(chan struct{}, cmp.Or(opts.MaxRequests, DefaultIntrospectMaxRequests))}
	if in.ttl == 0 {
		in.ttl = DefaultTokenCacheTTL
	}
	if in.inactiveTTL == 0 {
		in.inactiveTTL = DefaultInactiveTTL
	}
	in.client, in.bg.own = noRedirectClient(opts.Client)
	if opts.Timeout > 0 || in.client.Timeout == 0 {
		in.client.Timeout = cmp.Or(opts.Timeout, DefaultIntrospectTimeout)
	}
	budget := opts.CacheBytes
	if budget == 0 {
		budget = DefaultTokenCacheBytes
	}
	if in.cache, err = bytelru.New[bytelru.Key, *introspected](budget); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if opts.Probe {
		log := cmp.Or(opts.Logger, slog.Default())
		in.bg.start(context.Background(), func(ctx context.Context) { in.probeUntilReady(ctx, log) })
	}
	return in, nil
}

// probeUntilReady probes the endpoint until it answers or ctx ends,
// waiting one second, two, four… (at most thirty) between tries.
func (in *Introspection) probeUntilReady(ctx context.Context, log *slog.Logger) {
	wait := time.Second
	for in.Ready() != nil {
		err := in.Probe(ctx)
		if err == nil {
			log.Info("introspection endpoint answered")
			return
		}
		log.Warn("introspection endpoint not answering", "error", gateway.Clip(err.Error()), "retry", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// Close stops the probe, if there is one, and waits until it has ended,
// and closes the idle connections of the client that NewIntrospection
// made (an IntrospectionOptions.Client is the caller's to close). Tokens
// can still be asked about. Close returns nil, and does nothing more when
// called again.
func (in *Introspection) Close() error {
	in.bg.close()
	return nil
}

// Scope returns the token's scope if the endpoint says it is active.
func (in *Introspection) Scope(ctx context.Context, token string) (string, error) {
	e, err := in.lookup(ctx, token)
	if err != nil {
		return "", err
	}
	if e.err != nil {
		return "", e.err
	}
	return e.scope, nil
}

// lookup returns the cached answer about a token, or asks for one.
func (in *Introspection) lookup(ctx context.Context, token string) (*introspected, error) {
	k := digest(token)
	if e, ok := in.cache.Get(k); ok {
		if in.now().Before(e.expires) {
			in.hits.Add(1)
			return e, nil
		}
		in.cache.Remove(k)
	}
	in.misses.Add(1)
	// The request is shared by every caller waiting for it, so it does
	// not end when the first caller goes away; the client's timeout
	// bounds it, and slots the number of them running.
	r, err, _ := in.group.Do(string(k[:]), func() (any, error) {
		select {
		case in.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: introspection: %d requests outstanding", gateway.ErrUnavailable, cap(in.slots))
		}
		defer func() { <-in.slots }()
		e, err := in.ask(context.WithoutCancel(ctx), token)
		if err != nil {
			return nil, err
		}
		in.cache.Add(k, e, e.size())
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*introspected), nil
}

// Ready returns nil once the endpoint has given a well-formed answer,
// and otherwise an error that wraps gateway.ErrUnavailable.
func (in *Introspection) Ready() error {
	if in.answered.Load() {
		return nil
	}
	return fmt.Errorf("%w: the introspection endpoint has not answered yet", gateway.ErrUnavailable)
}

// Probe asks the endpoint about a random token that no server issued, so
// that Ready turns true before the first request. The answer is not
// cached. Its error wraps gateway.ErrUnavailable.
func (in *Introspection) Probe(ctx context.Context) error {
	b := make([]byte, 24)
	rand.Read(b)
	_, err := in.ask(ctx, "scopecheck-probe-"+hex.EncodeToString(b))
	return err
}

// CacheStats returns the figures of the cache of answers.
func (in *Introspection) CacheStats() CacheStats {
	return cacheStats(in.hits.Load(), in.misses.Load(), in.cache.Stats())
}

// ask posts the token to the endpoint and reads the answer. An error
// wraps gateway.ErrUnavailable; a refusal of the token is an entry with err set.
func (in *Introspection) ask(ctx context.Context, token string) (e *introspected, err error) {
	in.asks.Add(1)
	if f := in.opts.OnRequest; f != nil {
		start := time.Now()
		defer func() { f(time.Since(start), err) }()
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: introspection: %v", gateway.ErrUnavailable, withoutURL(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(in.opts.ClientID), url.QueryEscape(in.opts.ClientSecret))
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: introspection: %v", gateway.ErrUnavailable, withoutURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: introspection answered %s", gateway.ErrUnavailable, resp.Status)
	}
	body, err := readBounded(resp.Body, maxIntrospectionBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: introspection answer: %v", gateway.ErrUnavailable, err)
	}
	a, err := decodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("%w: introspection answer: %v", gateway.ErrUnavailable, err)
	}
	e, err = in.judge(a)
	if err != nil {
		return nil, fmt.Errorf("%w: introspection answer: %v", gateway.ErrUnavailable, err)
	}
	in.answered.Store(true)
	return e, nil
}

// judge turns a decoded answer into a cache entry. An error says the
// answer is malformed (the endpoint's fault); an entry with err set says
// the token is refused.
func (in *Introspection) judge(a map[string]any) (*introspected, error) {
	now := in.now()
	refused := func(err error) (*introspected, error) {
		return &introspected{err: err, expires: now.Add(in.inactiveTTL)}, nil
	}
	active, ok := a["active"].(bool)
	if !ok {
		return nil, errors.New(`no boolean "active"`)
	}
	if !active {
		return refused(ErrInactive)
	}
	e := &introspected{claims: a, expires: now.Add(in.ttl)}
	switch s := a["scope"].(type) {
	case string:
		e.scope = s
	case nil:
	default:
		return nil, errors.New(`"scope" is not a string`)
	}
	exp, hasExp, err := numericDate(a, "exp")
	if err != nil {
		return nil, err
	}
	nbf, hasNbf, err := numericDate(a, "nbf")
	if err != nil {
		return nil, err
	}
	tt, hasType := a["token_type"]
	if t, ok := tt.(string); hasType && !ok {
		return nil, errors.New(`"token_type" is not a string`)
	} else if hasType && !strings.EqualFold(t, "Bearer") {
		return refused(refuse(CauseTokenType, fmt.Errorf("token: introspection: token_type %q is not Bearer", gateway.Clip(t))))
	}
	switch {
	case hasExp && !now.Before(exp):
		return refused(refuse(CauseExpired, errors.New("token: introspection says active, but exp has passed")))
	case hasNbf && now.Add(in.leeway).Before(nbf):
		return refused(refuse(CauseNotYetValid, errors.New("token: introspection says active, but nbf has not come")))
	case in.opts.Issuer != "" && a["iss"] != in.opts.Issuer:
		return refused(refuse(CauseIssuer, errors.New("token: introspection: iss is not the issuer configured")))
	case in.opts.Audience != "" && !holdsAudience(a["aud"], in.opts.Audience):
		return refused(refuse(CauseAudience, errors.New("token: introspection: aud does not hold the audience configured")))
	}
	if hasExp && exp.Before(e.expires) {
		e.expires = exp
	}
	return e, nil
}

// numericDate reads a member that, when present, is a NumericDate: a
// number of seconds since 1970.
func numericDate(a map[string]any, name string) (time.Time, bool, error) {
	v, ok := a[name]
	if !ok || v == nil {
		return time.Time{}, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return time.Time{}, false, fmt.Errorf("%q is not a number", name)
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return time.Time{}, false, fmt.Errorf("%q is not a date", name)
	}
	return time.Unix(int64(f), 0), true, nil
}

// holdsAudience reports whether aud, a string or an array of strings,
// holds want.
func holdsAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, v := range a {
			if v == want {
				return true
			}
		}
	}
	return false
}
