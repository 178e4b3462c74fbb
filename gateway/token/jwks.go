package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/scopecheck/scopecheck/gateway"
)

// maxJWKSBytes bounds a JWKS document, read from a file or a URL.
const maxJWKSBytes = 1 << 20

// filePoll is how often a JWKS file is checked for a change.
const filePoll = time.Second

// keySet is the set of verification keys of a JWT verifier: a fixed
// document, a file read again when it changes, or a URL fetched again
// every refresh interval and, at a bounded rate, when a token names a key
// id it does not hold. Lookups read the current table without locking; a
// refresh replaces it whole, so a key removed from the document stops
// verifying at once.
type keySet struct {
	source string                                // the file or URL (RedactURL), for messages; "" for a fixed set
	fetch  func(context.Context) ([]byte, error) // nil for a fixed set
	table  atomic.Pointer[keyTable]              // nil until a set has loaded
	failed atomic.Pointer[string]                // why the last load failed, or nil
	group  singleflight.Group                    // one fetch at a time
	// loading is set while a fetch is under way, so that a token naming
	// an unknown kid waits for it rather than spend the rate. starting
	// counts the tokens that the rate let fetch, from then until their
	// fetch has ended, so that a token that comes before the fetch has
	// begun waits for it too; mu guards it (mayFetch).
	loading  atomic.Bool
	mu       sync.Mutex
	starting int
	// unknown limits the refreshes that tokens with an unknown kid cause.
	unknown *rate.Limiter
	log     *slog.Logger
	// read is the version of the file that was read last.
	read atomic.Pointer[fileVersion]
	// timeout bounds a fetch; loads and failures count them.
	timeout         time.Duration
	loads, failures atomic.Uint64
	// begun numbers the fetches as they begin, so that a load can tell a
	// fetch begun after it was asked for from one begun before.
	begun atomic.Uint64
}

type fileVersion struct{ os.FileInfo }

// keyTable is one loaded key set; it is never changed once published.
type keyTable struct {
	keys []*verifyKey
}

// verifyKey is one usable signature key of a set.
type verifyKey struct {
	kid string
	alg string // the JWK's alg, or "" when it names none
	key crypto.PublicKey
	// fp identifies the key: the SHA-256 of its kid, alg and public key
	// (PKIX DER). A cached verification remembers it, and is used only
	// while the current set holds a key with the same fingerprint.
	fp [32]byte
}

// fits reports whether the key can verify a signature made with alg.
func (k *verifyKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// parseJWKS reads a JWK Set document. It must be a JSON object with a
// "keys" array; keys that cannot verify signatures (encryption keys,
// symmetric keys, kinds jwkset does not support) are left out, and an
// empty set is a set: every key was withdrawn.
func parseJWKS(data []byte) (*keyTable, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`no "keys" array`)
	}
	t := &keyTable{}
	for _, raw := range *doc.Keys {
		var m jwkset.JWKMarshal
		if err := json.Unmarshal(raw, &m); err != nil {
			continue // not a key object
		}
		if m.USE == jwkset.UseEnc || (len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify)) {
			continue
		}
		// Only the public parts are read, whatever the document holds.
		j, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue
		}
		var pub crypto.PublicKey
		switch k := j.Key().(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			pub = k
		case interface{ Public() crypto.PublicKey }:
			pub = k.Public()
		default:
			continue // a symmetric key: never usable with asymmetric algorithms
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			continue
		}
		h := sha256.New()
		fmt.Fprintf(h, "%d:%s%d:%s", len(m.KID), m.KID, len(m.ALG), m.ALG)
		h.Write(der)
		k := &verifyKey{kid: m.KID, alg: string(m.ALG), key: pub}
		h.Sum(k.fp[:0])
		t.keys = append(t.keys, k)
	}
	return t, nil
}

// newFixedKeys is a set that never changes.
func newFixedKeys(jwks []byte) (*keySet, error) {
	t, err := parseJWKS(jwks)
	if err != nil {
		return nil, err
	}
	s := &keySet{log: slog.New(slog.DiscardHandler)}
	s.table.Store(t)
	return s, nil
}

// load fetches and parses the document and, if it parses, publishes it.
// Concurrent loads share one fetch. The error wraps gateway.ErrUnavailable.
func (s *keySet) load(ctx context.Context) error {
	_, err := s.loadShared(ctx)
	return err
}

// reload is load sharing only a fetch begun after it was called: a fetch
// under way may have read the set before the change a reload is asked
// for (a key rotated, then SIGHUP), so it waits for an earlier fetch and
// fetches again. Two rounds at most: any fetch begun after the first
// round's is later than the call.
func (s *keySet) reload(ctx context.Context) error {
	asked := s.begun.Load()
	for {
		n, err := s.loadShared(ctx)
		if n > asked {
			return err
		}
	}
}

// loadShared fetches and swaps in the set, sharing one fetch among
// concurrent callers, and returns the number of the fetch it shared.
func (s *keySet) loadShared(ctx context.Context) (uint64, error) {
	v, err, _ := s.group.Do("", func() (any, error) {
		n := s.begun.Add(1)
		s.loading.Store(true)
		defer s.loading.Store(false)
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		data, err := s.fetch(ctx)
		var t *keyTable
		if err == nil {
			t, err = parseJWKS(data)
		}
		if err != nil {
			msg := fmt.Sprintf("JWKS %s: %v", s.source, err)
			s.failed.Store(&msg)
			s.failures.Add(1)
			s.log.Error("key set not loaded", "source", s.source, "error", gateway.Clip(err.Error()))
			return n, fmt.Errorf("%w: %s", gateway.ErrUnavailable, msg)
		}
		old := s.table.Swap(t)
		s.failed.Store(nil)
		s.loads.Add(1)
		if added, removed := diffKeys(old, t); old == nil || added+removed > 0 {
			s.log.Info("key set loaded", "source", s.source, "keys", len(t.keys), "added", added, "removed", removed)
		}
		return n, nil
	})
	return v.(uint64), err
}

// diffKeys counts the keys of b that a lacks, and of a that b lacks.
func diffKeys(a, b *keyTable) (added, removed int) {
	has := func(t *keyTable, k *verifyKey) bool {
		return t != nil && slices.ContainsFunc(t.keys, func(x *verifyKey) bool { return x.fp == k.fp })
	}
	for _, k := range b.keys {
		if !has(a, k) {
			added++
		}
	}
	if a != nil {
		for _, k := range a.keys {
			if !has(b, k) {
				removed++
			}
		}
	}
	return added, removed
}

// ready returns nil once a key set has loaded, and otherwise an error
// that wraps gateway.ErrUnavailable with the last failure.
func (s *keySet) ready() error {
	if s.table.Load() != nil {
		return nil
	}
	if msg := s.failed.Load(); msg != nil {
		return fmt.Errorf("%w: no key set loaded yet: %s", gateway.ErrUnavailable, *msg)
	}
	return fmt.Errorf("%w: no key set loaded yet", gateway.ErrUnavailable)
}

// lookup returns the key for a token's kid and alg. A token without a kid
// is verified only by a set that holds exactly one key for its alg. A kid
// the set does not hold makes the set refresh, if the unknown-kid rate
// allows (or waits for a refresh under way), and is looked up again; an
// error of that refresh wraps gateway.ErrUnavailable, as does a set that never
// loaded, and, while the last load failed, a kid the rate keeps from
// refreshing. Any other error is the token's.
func (s *keySet) lookup(ctx context.Context, kid string, hasKID bool, alg string) (*verifyKey, error) {
	t := s.table.Load()
	if t == nil {
		return nil, s.ready()
	}
	if !hasKID {
		var found *verifyKey
		for _, k := range t.keys {
			if k.fits(alg) {
				if found != nil {
					return nil, refuse(CauseUnknownKey, fmt.Errorf("token has no kid and the key set holds several keys for %s", alg))
				}
				found = k
			}
		}
		if found == nil {
			return nil, refuse(CauseUnknownKey, fmt.Errorf("token has no kid and the key set holds no key for %s", alg))
		}
		return found, nil
	}
	if k, named := t.find(kid, alg); k != nil || named {
		if k == nil {
			return nil, refuse(CauseUnknownKey, fmt.Errorf("key %q is not for %s", gateway.Clip(kid), alg))
		}
		return k, nil
	}
	wait, own := s.fetch != nil, false
	if wait {
		wait, own = s.mayFetch()
	}
	if !wait {
		// A fetch may have ended since t was read.
		if k, _ := s.table.Load().find(kid, alg); k != nil {
			return k, nil
		}
		// While the last load failed, the key may be one the source has
		// published since: the token cannot be checked, which is an
		// outage, not the token's fault, until a load succeeds.
		if msg := s.failed.Load(); msg != nil {
			return nil, fmt.Errorf("%w: key id %q not in the key set held, and %s", gateway.ErrUnavailable, gateway.Clip(kid), *msg)
		}
		return nil, refuse(CauseUnknownKey, fmt.Errorf("unknown key id %q", gateway.Clip(kid)))
	}
	if own {
		defer s.fetched()
	}
	if err := s.load(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	if k, _ := s.table.Load().find(kid, alg); k != nil {
		return k, nil
	}
	return nil, refuse(CauseUnknownKey, fmt.Errorf("unknown key id %q", gateway.Clip(kid)))
}

// mayFetch reports whether a token with an unknown kid may wait for a
// fetch: one is under way or about to begin, or the unknown-kid rate
// allows one (own), which counts as about to begin until fetched.
func (s *keySet) mayFetch() (wait, own bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.loading.Load() || s.starting > 0:
		return true, false
	case s.unknown.Allow():
		s.starting++
		return true, true
	}
	return false, false
}

// fetched ends what mayFetch began for its own fetch.
func (s *keySet) fetched() {
	s.mu.Lock()
	s.starting--
	s.mu.Unlock()
}

// find returns the first key with kid that fits alg, and whether any key
// has kid.
func (t *keyTable) find(kid, alg string) (*verifyKey, bool) {
	named := false
	for _, k := range t.keys {
		if k.kid == kid {
			named = true
			if k.fits(alg) {
				return k, true
			}
		}
	}
	return nil, named
}

// holds reports whether the current set still holds the key with
// fingerprint fp. It makes no allocation.
func (s *keySet) holds(fp *[32]byte) bool {
	t := s.table.Load()
	if t == nil {
		return false
	}
	for _, k := range t.keys {
		if k.fp == *fp {
			return true
		}
	}
	return false
}

// fetchURL returns a fetch of a JWKS URL with client: a GET that must be
// answered 200 with at most maxJWKSBytes.
func fetchURL(url string, client *http.Client) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, withoutURL(err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, withoutURL(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("answered %s", resp.Status)
		}
		return readBounded(resp.Body, maxJWKSBytes)
	}
}

// fetchFile returns a fetch of a JWKS file, which records the version it
// read for changed.
func (s *keySet) fetchFile(path string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		data, err := readBounded(f, maxJWKSBytes)
		if err == nil {
			s.read.Store(&fileVersion{st})
		}
		return data, err
	}
}

// changed reports whether the file at path is another file, or has
// another size or modification time, than the one read last. A file that
// cannot be read is not reported here: the periodic load says why.
func (s *keySet) changed(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	old := s.read.Load()
	return old == nil || !os.SameFile(old.FileInfo, st) || old.Size() != st.Size() || !old.ModTime().Equal(st.ModTime())
}

// readBounded reads r to its end, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}

// watchURL loads the set now and every interval while ctx lives. Until a
// load succeeds it tries again sooner: after one second, doubling, up to
// thirty seconds (or the interval, if shorter).
func (s *keySet) watchURL(ctx context.Context, interval time.Duration) {
	retry := time.Second
	for {
		wait := interval
		if s.load(ctx) != nil && s.table.Load() == nil {
			wait = min(retry, interval)
			retry = min(2*retry, 30*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// watchFile loads the file again when it changes, and every interval,
// while ctx lives.
func (s *keySet) watchFile(ctx context.Context, path string, interval time.Duration) {
	poll := time.NewTicker(min(filePoll, interval))
	defer poll.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-poll.C:
			if now.Sub(last) >= interval || s.changed(path) {
				last = now
				s.load(ctx)
			}
		}
	}
}
