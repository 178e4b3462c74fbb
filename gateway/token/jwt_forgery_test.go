package token

// Forgeries against the cache of verified JWTs, which is filed under the
// SHA-256 of the signature segment. The property held throughout: a token is accepted
// only if its exact bytes were verified by a key currently in the set,
// before its exp (plus leeway) and within the cache TTL, and the answer
// is that token's own claims. A variant of a valid token is acceptable
// only when its signed part is the valid token's, byte for byte, and its
// signature segment decodes to the valid token's signature bytes (then
// it is the same signature, and only its one canonical spelling is).

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/internal/testjwt"
)

var b64 = base64.RawURLEncoding

// algSigner signs with one algorithm, and its JWK.
type algSigner struct {
	name string
	alg  jwt.SigningMethod
	key  any
	jwk  map[string]string
}

func algSigners(t *testing.T) []algSigner {
	t.Helper()
	rs := testjwt.NewKID(t, "rs")
	rsJWK := rs.JWK()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecx, ecy := make([]byte, 32), make([]byte, 32)
	ec.PublicKey.X.FillBytes(ecx)
	ec.PublicKey.Y.FillBytes(ecy)
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return []algSigner{
		{"RS256", jwt.SigningMethodRS256, rs.Key, rsJWK},
		{"PS256", jwt.SigningMethodPS256, rs.Key, map[string]string{"kty": "RSA", "kid": "ps", "use": "sig", "n": rsJWK["n"], "e": rsJWK["e"]}},
		{"ES256", jwt.SigningMethodES256, ec, map[string]string{"kty": "EC", "crv": "P-256", "kid": "es", "alg": "ES256", "x": b64.EncodeToString(ecx), "y": b64.EncodeToString(ecy)}},
		{"EdDSA", jwt.SigningMethodEdDSA, edKey, map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "alg": "EdDSA", "x": b64.EncodeToString(edPub)}},
	}
}

func signersJWKS(t *testing.T, signers ...algSigner) []byte {
	t.Helper()
	var keys []map[string]string
	for _, s := range signers {
		keys = append(keys, s.jwk)
	}
	return mustJSON(t, map[string]any{"keys": keys})
}

func (s algSigner) sign(t *testing.T, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.alg, c)
	tok.Header["kid"] = s.jwk["kid"]
	for k, v := range header {
		tok.Header[k] = v
	}
	out, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameSignature reports whether v is tok's signed part with a signature
// segment that decodes, as the library decodes it, to tok's signature
// bytes.
func sameSignature(tok, v string) bool {
	ti, vi := strings.LastIndexByte(tok, '.'), strings.LastIndexByte(v, '.')
	if vi < 0 || tok[:ti] != v[:vi] || strings.Count(v, ".") != 2 {
		return false
	}
	want, err1 := b64.DecodeString(tok[ti+1:])
	got, err2 := b64.DecodeString(v[vi+1:])
	return err1 == nil && err2 == nil && string(want) == string(got)
}

// flipTrailingBits returns seg with the unused low bits of its last
// character set: the same bytes in base64 that is not canonical, or seg
// when it has no unused bits.
func flipTrailingBits(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var unused int
	switch len(seg) % 4 {
	case 2:
		unused = 4
	case 3:
		unused = 2
	default:
		return seg
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|(1<<unused-1)])
}

// variants are tokens made from a valid token tok by one who holds only
// tok: its signature under other signed parts, its parts rearranged, and
// its text changed in ways a lenient decoder may not see.
func variants(t *testing.T, tok string, wider jwt.MapClaims) map[string]string {
	t.Helper()
	p := strings.Split(tok, ".")
	h, c, s := p[0], p[1], p[2]
	var header map[string]any
	hj, _ := b64.DecodeString(h)
	if err := json.Unmarshal(hj, &header); err != nil {
		t.Fatal(err)
	}
	hdr := func(change func(map[string]any)) string {
		m := map[string]any{}
		for k, v := range header {
			m[k] = v
		}
		change(m)
		return b64.EncodeToString(mustJSON(t, m))
	}
	cj, _ := b64.DecodeString(c)
	wide := b64.EncodeToString(mustJSON(t, wider))
	out := map[string]string{
		"claims widened":               h + "." + wide + "." + s,
		"claims re-encoded, same JSON": h + "." + b64.EncodeToString(append([]byte(" "), cj...)) + "." + s,
		"claims with a duplicate":      h + "." + b64.EncodeToString([]byte(strings.TrimSuffix(string(cj), "}")+`,"scope":"*:**"}`)) + "." + s,
		"kid changed":                  hdr(func(m map[string]any) { m["kid"] = "other" }) + "." + c + "." + s,
		"kid removed":                  hdr(func(m map[string]any) { delete(m, "kid") }) + "." + c + "." + s,
		"alg RS256<->PS256": hdr(func(m map[string]any) {
			m["alg"] = map[string]string{"RS256": "PS256", "PS256": "RS256"}[m["alg"].(string)]
		}) + "." + c + "." + s,
		"alg none":                     hdr(func(m map[string]any) { m["alg"] = "none" }) + "." + c + "." + s,
		"typ added":                    hdr(func(m map[string]any) { m["typ"] = "at+jwt" }) + "." + c + "." + s,
		"crit added":                   hdr(func(m map[string]any) { m["crit"] = []string{"exp"} }) + "." + c + "." + s,
		"header of claims":             c + "." + c + "." + s,
		"parts swapped":                c + "." + h + "." + s,
		"header trailing bits":         flipTrailingBits(h) + "." + c + "." + s,
		"claims trailing bits":         h + "." + flipTrailingBits(c) + "." + s,
		"header padded":                h + strings.Repeat("=", (4-len(h)%4)%4) + "." + c + "." + s,
		"two parts":                    h + "." + s,
		"claims only":                  c + "." + s,
		"empty header":                 "." + c + "." + s,
		"empty claims":                 h + ".." + s,
		"empty signed part":            ".." + s,
		"dot first":                    "." + tok,
		"dot last":                     tok + ".",
		"signature twice":              tok + "." + s,
		"four parts, extra in middle":  h + "." + c + ".x." + s,
		"five parts":                   h + "." + c + "." + c + "." + c + "." + s,
		"dot doubled":                  h + ".." + c + "." + s,
		"dot before signature doubled": h + "." + c + ".." + s,
		"signature only":               s,
		"dot and signature":            "." + s,
		"no dots":                      h + c + s,
		"empty":                        "",
		"dots":                         "...",
		"leading space":                " " + tok,
		"trailing space":               tok + " ",
		"space in signature":           h + "." + c + "." + s[:10] + " " + s[10:],
		"tab in signature":             h + "." + c + "." + s[:10] + "\t" + s[10:],
		"NUL in signature":             h + "." + c + "." + s[:10] + "\x00" + s[10:],
		"newline in claims":            h + "." + c[:5] + "\n" + c[5:] + "." + s,
		"newline in signature":         h + "." + c + "." + s[:10] + "\n" + s[10:],
		"CRLF in signature":            h + "." + c + "." + s[:10] + "\r\n" + s[10:],
		"newline at end":               tok + "\n",
		"signature trailing bits":      h + "." + c + "." + flipTrailingBits(s),
		"signature padded":             tok + strings.Repeat("=", (4-len(s)%4)%4),
		"signature std alphabet":       h + "." + c + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s),
		"signature truncated":          tok[:len(tok)-1],
		"signature one longer":         tok + "A",
		"signature very long":          tok + strings.Repeat("A", 1<<16),
		"claims very long":             h + "." + c + strings.Repeat("A", 1<<16) + "." + s,
		"signature of empty":           h + "." + c + ".",
	}
	return out
}

// The valid token's signature under any other signed part, and every
// rearrangement of its text, is refused or, when it is the same signature
// on the same signed part, answered with the valid token's own scope;
// the valid token's entry stays and answers it without a verification.
// Checked for every algorithm, cold (no entry) and warm (the valid token
// cached), through Scope and Claims.
func TestJWTSignatureOnAnotherSignedPart(t *testing.T) {
	signers := algSigners(t)
	jwks := signersJWKS(t, signers...)
	wider := goodClaims("*:**")
	for _, s := range signers {
		for _, warm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/warm=%v", s.name, warm), func(t *testing.T) {
				j, err := NewJWT(jwks, JWTOptions{Issuer: testIssuer, Audience: testAudience})
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				tok := s.sign(t, nil, goodClaims(".:config/a"))
				if warm {
					if got, err := j.Scope(ctx, tok); err != nil || got != ".:config/a" {
						t.Fatalf("the valid token: %q, %v", got, err)
					}
				}
				vs := variants(t, tok, wider)
				accepted := []string{}
				for name, v := range vs {
					for round := 0; round < 2; round++ { // the second from the cache, if anything was kept
						got, err := j.Scope(ctx, v)
						_, claims, cerr := j.Claims(ctx, v)
						if (err == nil) != (cerr == nil) {
							t.Errorf("%s: Scope and Claims disagree: %v, %v", name, err, cerr)
						}
						if err != nil {
							continue
						}
						if !sameSignature(tok, v) {
							t.Errorf("%s (round %d): accepted with scope %q; token %.120q", name, round, got, v)
							continue
						}
						if got != ".:config/a" || claims["scope"] != ".:config/a" {
							t.Errorf("%s: the same signed part answered with %q / %v", name, got, claims["scope"])
						}
						if round == 0 {
							accepted = append(accepted, name)
						}
					}
				}
				if len(accepted) > 0 {
					t.Logf("accepted as the same signature on the same signed part: %q", accepted)
				}
				if warm {
					n := j.verifies.Load()
					if got, err := j.Scope(ctx, tok); err != nil || got != ".:config/a" {
						t.Errorf("the valid token after the variants: %q, %v", got, err)
					}
					if j.verifies.Load() != n {
						t.Errorf("the variants took the valid token's entry: verified again")
					}
				}
			})
		}
	}
}

// base64's text is malleable: a decoder skips CR and LF, and a lenient one
// ignores the unused low bits of the last character. Were those
// spellings of one signature accepted, each would be a verification and
// an entry of its own, and one who holds a single valid token could fill
// the cache with it and evict every other user's entry. Only the
// canonical spelling is accepted.
func TestJWTOneSpellingOfASignature(t *testing.T) {
	s := testjwt.New(t)
	const budget = 256 << 10
	j, err := NewJWT(s.JWKS, JWTOptions{Issuer: testIssuer, Audience: testAudience, CacheBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	victim := s.Token(t, goodClaims(".:config/victim"))
	if _, err := j.Scope(ctx, victim); err != nil {
		t.Fatal(err)
	}
	mine := s.Token(t, goodClaims(".:config/mine"))
	i := strings.LastIndexByte(mine, '.')
	h, sig := mine[:i], mine[i+1:]
	spellings := []string{flipTrailingBits(sig)}
	for n := 0; n < 400; n++ {
		// A newline at one place and n/(len-1) carriage returns at the
		// end: each a distinct text of the same signature.
		at := n%(len(sig)-1) + 1
		spellings = append(spellings, sig[:at]+"\n"+sig[at:]+strings.Repeat("\r", n/(len(sig)-1)))
	}
	accepted := 0
	for _, spelling := range spellings {
		if _, err := j.Scope(ctx, h+"."+spelling); err == nil {
			accepted++
		}
	}
	st := j.CacheStats()
	verifies := j.verifies.Load()
	if _, err := j.Scope(ctx, victim); err != nil {
		t.Errorf("the victim's token after the spellings: %v", err)
	}
	if accepted > 0 || j.verifies.Load() != verifies {
		t.Errorf("%d of %d spellings of one token's signature accepted (cache %+v); the victim's entry evicted: %v",
			accepted, len(spellings), st, j.verifies.Load() != verifies)
	}
	if got, err := j.Scope(ctx, mine); err != nil || got != ".:config/mine" {
		t.Errorf("the canonical spelling: %q, %v", got, err)
	}
}

// jwksFile is a JWKS file that a test rewrites.
type jwksFile struct {
	t    *testing.T
	dir  string
	path string
}

func newJWKSFile(t *testing.T, data []byte) *jwksFile {
	dir := t.TempDir()
	f := &jwksFile{t: t, dir: dir, path: filepath.Join(dir, "jwks.json")}
	f.write(data)
	return f
}

func (f *jwksFile) write(data []byte) {
	tmp := filepath.Join(f.dir, fmt.Sprintf("new%d", time.Now().UnixNano()))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		f.t.Error(err)
		return
	}
	if err := os.Rename(tmp, f.path); err != nil {
		f.t.Error(err)
	}
}

// verifier is a verifier of f's key set for testIssuer and testAudience,
// with opts's cache settings, which loads the file again only on Reload
// and is closed when the test ends.
func (f *jwksFile) verifier(ctx context.Context, opts JWTOptions) *JWT {
	f.t.Helper()
	opts.Issuer, opts.Audience, opts.RefreshInterval, opts.Logger = testIssuer, testAudience, time.Hour, discard()
	j, err := NewJWTFromFile(ctx, f.path, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { j.Close() })
	return j
}

// Under the race detector: honest uses of a valid token, forged tokens
// that carry its signature, spellings of its signature, a stream of other
// valid tokens that evicts entries from a small cache, and the token's key
// withdrawn and restored, all at once. A forged token is never accepted;
// the valid token is answered with its own scope or refused, never with
// another's; once the withdrawal has loaded (and any verification already
// in flight has ended) it is refused, and once the key is back it is
// accepted.
func TestJWTConcurrentForgeriesRotationEviction(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	file := newJWKSFile(t, testjwt.Set(t, k1, k2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := file.verifier(ctx, JWTOptions{CacheBytes: 48 << 10})
	tok := k2.Token(t, goodClaims(".:config/a"))
	var forged []string
	for _, v := range variants(t, tok, goodClaims("*:**")) {
		if !sameSignature(tok, v) {
			forged = append(forged, v)
		}
	}
	// The valid token and two spellings of its signature (the same bytes).
	i := strings.LastIndexByte(tok, '.')
	spelled := []string{tok, tok[:i+1] + flipTrailingBits(tok[i+1:]), tok[:i+5] + "\n" + tok[i+5:]}
	var others []string
	for n := 0; n < 64; n++ {
		others = append(others, k1.Token(t, goodClaims(fmt.Sprintf(".:config/o%d", n))))
	}

	var stop atomic.Bool
	var wrong atomic.Int64
	var wg sync.WaitGroup
	report := func(format string, args ...any) {
		if wrong.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	for g := 0; g < 4; g++ {
		wg.Add(3)
		go func(g int) { // honest
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				got, err := j.Scope(ctx, spelled[(n+g)%len(spelled)])
				if err == nil && got != ".:config/a" {
					report("the valid token answered %q", got)
				}
			}
		}(g)
		go func(g int) { // forger
			defer wg.Done()
			for n := g; !stop.Load(); n++ {
				f := forged[n%len(forged)]
				if got, err := j.Scope(ctx, f); err == nil {
					report("a forged token %.80q accepted with %q", f, got)
				}
			}
		}(g)
		go func(g int) { // evictor
			defer wg.Done()
			for n := g; !stop.Load(); n++ {
				o := others[n%len(others)]
				got, err := j.Scope(ctx, o)
				if err != nil || got != fmt.Sprintf(".:config/o%d", n%len(others)) {
					report("another valid token: %q, %v", got, err)
				}
			}
		}(g)
	}
	// The rotator: withdraw k2, check it is refused at once, restore.
	for round := 0; round < 20; round++ {
		file.write(testjwt.Set(t, k1))
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		// The first use may join a verification that began before the
		// withdrawal (TestJWTWithdrawnKeyJoinsNoFlight); the uses after
		// it must all be refused.
		for _, s := range spelled {
			j.Scope(ctx, s)
			if got, err := j.Scope(ctx, s); err == nil {
				report("round %d: the token of a withdrawn key accepted after Reload returned: %q", round, got)
			}
		}
		file.write(testjwt.Set(t, k1, k2))
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if got, err := j.Scope(ctx, tok); err != nil || got != ".:config/a" {
		t.Errorf("the valid token at the end: %q, %v", got, err)
	}
	st := j.CacheStats()
	if st.Bytes > 48<<10 {
		t.Errorf("charged %d over a budget of %d", st.Bytes, 48<<10)
	}
	t.Logf("cache at the end: %+v, %d verifications", st, j.verifies.Load())
}

// A key replaced under the same kid, a key whose JWK pins another alg, and
// a key marked for encryption: the cached token of the old key is refused
// at once, and a forged token carrying its signature too.
func TestJWTKeyChangesWhileCached(t *testing.T) {
	k := testjwt.NewKID(t, "k")
	file := newJWKSFile(t, k.JWKS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := file.verifier(ctx, JWTOptions{})
	tok := k.Token(t, goodClaims(".:config/a"))
	forged := resigned(t, tok, goodClaims("*:**"))
	jwk := func(change func(map[string]string)) []byte {
		m := k.JWK()
		change(m)
		return mustJSON(t, map[string]any{"keys": []map[string]string{m}})
	}
	for _, tc := range []struct {
		name string
		set  []byte
	}{
		{"another key under the kid", testjwt.NewKID(t, "k").JWKS},
		{"the key pinned to PS256", jwk(func(m map[string]string) { m["alg"] = "PS256" })},
		{"the key for encryption", jwk(func(m map[string]string) { m["use"] = "enc" })},
		{"the key without verify in key_ops", []byte(strings.Replace(string(k.JWKS), `"use":"sig"`, `"use":"sig","key_ops":["sign"]`, 1))},
		{"the key under another kid", jwk(func(m map[string]string) { m["kid"] = "k-renamed" })},
		{"an empty set", []byte(`{"keys":[]}`)},
	} {
		file.write(k.JWKS)
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := j.Scope(ctx, tok); err != nil || got != ".:config/a" {
			t.Fatalf("%s: before: %q, %v", tc.name, got, err)
		}
		file.write(tc.set)
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := j.Scope(ctx, tok); err == nil {
			t.Errorf("%s: the cached token still accepted: %q", tc.name, got)
		}
		if got, err := j.Scope(ctx, forged); err == nil {
			t.Errorf("%s: the forged token accepted: %q", tc.name, got)
		}
	}
}

// exp, the leeway, CacheTTL and nbf at their edges, on a clock the test
// moves: from the cache and verified afresh alike, a token is accepted up
// to exp plus the leeway and not after; within CacheTTL the cache answers,
// past it the token is verified again.
func TestJWTExpiryEdges(t *testing.T) {
	s := testjwt.New(t)
	const leeway = 30 * time.Second
	j, err := NewJWT(s.JWKS, JWTOptions{CacheTTL: 10 * time.Second, Leeway: leeway})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Unix(time.Now().Unix(), 0)
	var now atomic.Pointer[time.Time]
	set := func(tm time.Time) { now.Store(&tm) }
	j.now = func() time.Time { return *now.Load() }
	set(base)
	ctx := context.Background()
	exp := base.Add(5 * time.Second)
	tok := s.Token(t, jwt.MapClaims{"exp": exp.Unix(), "scope": ".:a"})
	forged := resigned(t, tok, jwt.MapClaims{"exp": exp.Add(time.Hour).Unix(), "scope": "*:**"})
	steps := []struct {
		at       time.Time
		ok       bool
		verifies bool // whether this use verifies (a miss)
	}{
		{base, true, true},
		{exp.Add(-time.Nanosecond), true, false},
		{exp, true, true}, // the cache's expires is exp; the parser's leeway still accepts
		{exp.Add(leeway - time.Second), true, true},
		{exp.Add(leeway + time.Second), false, true},
	}
	for i, st := range steps {
		set(st.at)
		n := j.verifies.Load()
		got, err := j.Scope(ctx, tok)
		if (err == nil) != st.ok || (err == nil && got != ".:a") {
			t.Errorf("step %d at exp%+v: %q, %v; want ok %v", i, st.at.Sub(exp), got, err, st.ok)
		}
		if (j.verifies.Load() != n) != st.verifies {
			t.Errorf("step %d at exp%+v: verified %v, want %v", i, st.at.Sub(exp), j.verifies.Load() != n, st.verifies)
		}
		if _, err := j.Scope(ctx, forged); err == nil {
			t.Errorf("step %d: the forged token with a later exp accepted", i)
		}
	}
	// CacheTTL: a long-lived token is answered from the cache until TTL.
	set(base)
	long := s.Token(t, jwt.MapClaims{"exp": base.Add(time.Hour).Unix(), "scope": ".:b"})
	j.Scope(ctx, long)
	set(base.Add(10*time.Second - time.Nanosecond))
	n := j.verifies.Load()
	j.Scope(ctx, long)
	if j.verifies.Load() != n {
		t.Error("verified again within CacheTTL")
	}
	set(base.Add(10 * time.Second))
	j.Scope(ctx, long)
	if j.verifies.Load() != n+1 {
		t.Error("not verified again at CacheTTL")
	}
	// nbf: beyond the leeway refused, within it accepted; never from a
	// cache entry made before.
	set(base)
	early := s.Token(t, jwt.MapClaims{"exp": base.Add(time.Hour).Unix(), "nbf": base.Add(leeway + time.Minute).Unix(), "scope": ".:c"})
	if _, err := j.Scope(ctx, early); err == nil {
		t.Error("a token not yet valid beyond the leeway accepted")
	}
}

// The signed part each entry keeps is charged: tokens with a large header
// (kept only as the signed copy; the claims are small) fill the budget and
// no more, and the heap they hold is what they are charged.
func TestJWTLargeHeaderCharged(t *testing.T) {
	s := testjwt.New(t)
	const budget = 1 << 20
	var toks []string
	for i := 0; i < 200; i++ {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": fmt.Sprintf(".:a%d", i)})
		tok.Header["kid"] = s.KID
		tok.Header["x5c"] = []string{strings.Repeat(fmt.Sprintf("%04d", i), 6<<10)} // 24 KiB of header, 32 KiB encoded
		out, err := tok.SignedString(s.Key)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, out)
	}
	real, st := fillCache(t, s.JWKS, toks, budget)
	if st.Len == 0 || st.Evictions == 0 {
		t.Errorf("the flood was not cached and evicted: %+v", st)
	}
	if real > st.Bytes+32<<10 {
		t.Errorf("the cache holds %d bytes but is charged %d", real, st.Bytes)
	}
	if real < st.Bytes*3/4 {
		t.Errorf("the cache is charged %d for %d bytes: overcharged", st.Bytes, real)
	}
}

// A token's entry holds no memory of the request: not the token, not the
// signature. Every string the entry holds is checked against the token's
// bytes.
func TestJWTEntryHoldsNoRequestMemory(t *testing.T) {
	s := testjwt.New(t)
	j, _ := NewJWT(s.JWKS, JWTOptions{})
	tok := s.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:a", "sub": "alice", "scp": []string{"x"}})
	buf := []byte(tok) // the request's own memory
	req := string(buf)
	if _, err := j.Scope(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, k, _ := signatureKey(req)
	v, ok := j.cache.Get(k)
	if !ok {
		t.Fatal("no entry")
	}
	lo, hi := uintptrOf(req), uintptrOf(req)+uintptr(len(req))
	within := func(s string) bool { p := uintptrOf(s); return len(s) > 0 && p >= lo && p < hi }
	if within(v.signed) || within(v.scope) {
		t.Errorf("the entry points into the request's token")
	}
	for name, c := range v.claims {
		if str, ok := c.(string); ok && within(str) {
			t.Errorf("claim %s points into the request's token", name)
		}
	}
}

func uintptrOf(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }

// A key withdrawn by Reload: once Reload has returned, no use of a token
// of that key may be accepted (README: "a key withdrawn from the set
// stops verifying at the next refresh, cached verifications included").
// A use that misses the cache may join a verification of the same token
// already in flight, which looked the key up before the withdrawal, and
// must not share its answer. With CacheTTL at a nanosecond every use
// verifies, so flights of the token are always under way.
func TestJWTWithdrawnKeyJoinsNoFlight(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	file := newJWKSFile(t, testjwt.Set(t, k1, k2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := file.verifier(ctx, JWTOptions{CacheTTL: time.Nanosecond})
	tok := k2.Token(t, goodClaims(".:config/a"))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				j.Scope(ctx, tok)
			}
		}()
	}
	const rounds = 200
	late := 0
	at := map[int]int{}
	for round := 0; round < rounds; round++ {
		file.write(testjwt.Set(t, k1))
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if k, _ := j.keys.table.Load().find("k2", "RS256"); k != nil {
			t.Fatal("k2 still in the set after Reload")
		}
		for n := 0; n < 20; n++ {
			if _, err := j.Scope(ctx, tok); err == nil {
				late++
				at[n]++
			}
		}
		file.write(testjwt.Set(t, k1, k2))
		if err := j.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if late > 0 {
		t.Errorf("%d uses of a token were accepted after Reload had withdrawn its key and returned (%d rounds of 20 uses; by the use's place in its round: %v)", late, rounds, at)
	}
}
