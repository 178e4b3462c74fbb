package scope_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

func TestCovers(t *testing.T) {
	tests := []struct {
		name               string
		allowed, requested string
		want               bool
		witness            scope.Witness
	}{
		{"reflexive", "*:config/**", "*:config/**", true, scope.Witness{}},
		{"union covers", "*:a/* *:a/*/**", "*:a/**", true, scope.Witness{}},
		{"neither item alone: first", "*:a/*", "*:a/**", false, scope.Witness{Method: "GET", Path: "/a/a/"}},
		{"read does not cover write", ".:**", "*:x", false, scope.Witness{Method: "POST", Path: "/x"}},
		{"write covers read", "*:x", ".:x", true, scope.Witness{}},
		{"double covers single", "*:a/**", "*:a/*", true, scope.Witness{}},
		{"single does not cover double", "*:a/*", "*:a/**", false, scope.Witness{Method: "GET", Path: "/a/a/"}},
		{"glued covers slash", "*:config/tokenPolicies**", "*:config/tokenPolicies/**", true, scope.Witness{}},
		{"slash does not cover glued", "*:config/tokenPolicies/**", "*:config/tokenPolicies**", false,
			scope.Witness{Method: "GET", Path: "/config/tokenPolicies"}},
		{"exact equivalent of glued", "*:config/tokenPolicies *:config/tokenPolicies/**", "*:config/tokenPolicies**", false,
			scope.Witness{Method: "GET", Path: "/config/tokenPoliciesa"}},
		{"super admin covers all", "*:**", "*:config/** .:webhooks/* *:a*b/c", true, scope.Witness{}},
		{"read all covers reads", ".:**", ".:config/** .:x", true, scope.Witness{}},
		{"plain present", "openid *:**", "openid", true, scope.Witness{}},
		{"plain missing", "*:**", "openid", false, scope.Witness{Plain: "openid"}},
		{"plain is case-sensitive", "OpenID", "openid", false, scope.Witness{Plain: "openid"}},
		{"empty covered", "", "", true, scope.Witness{}},
		{"nothing covers something", "", ".:a", false, scope.Witness{Method: "GET", Path: "/a"}},
		{"trailing slash", "*:webhooks/", "*:webhooks/**", false, scope.Witness{Method: "GET", Path: "/webhooks/a"}},
		{"star misses root of double", "*:config/*", "*:config/**", false, scope.Witness{Method: "GET", Path: "/config/a/"}},
		{"escapes are bytes", "*:a/%41", "*:a/A", false, scope.Witness{Method: "GET", Path: "/a/A"}},
		{"witness avoids dot segments", "*:a/a*", "*:a/*", false, scope.Witness{Method: "GET", Path: "/a/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allowed, err1 := scope.Parse(tc.allowed)
			requested, err2 := scope.Parse(tc.requested)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			got, w := scope.Covers(allowed, requested)
			if got != tc.want {
				t.Errorf("Covers(%q, %q) = %v (%v), want %v", tc.allowed, tc.requested, got, w, tc.want)
			}
			if diff := cmp.Diff(tc.witness, w, cmpWitness); diff != "" {
				t.Errorf("witness (-want +got):\n%s", diff)
			}
			checkWitness(t, allowed, requested, got, w)
		})
	}
}

var cmpWitness = cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || errors.Is(b, a) })

// checkWitness verifies a witness with the matcher itself.
func checkWitness(t interface {
	Helper()
	Fatalf(string, ...any)
}, allowed, requested scope.Set, covered bool, w scope.Witness) {
	t.Helper()
	if covered {
		if w != (scope.Witness{}) {
			t.Fatalf("covered, but witness %v", w)
		}
		return
	}
	if w.Err != nil {
		return
	}
	if w.Plain != "" {
		for _, it := range allowed.Items() {
			if it.Class == scope.Plain && it.Name == w.Plain {
				t.Fatalf("witness plain item %q is in allowed %q", w.Plain, allowed)
			}
		}
		return
	}
	if r, _ := scope.CheckPath(w.Path); r != scope.Canonical {
		t.Fatalf("witness %v is not canonical: %v", w, r)
	}
	if !match.Compile(requested).Allow(w.Method, w.Path) {
		t.Fatalf("witness %v is not allowed by requested %q", w, requested)
	}
	if match.Compile(allowed).Allow(w.Method, w.Path) {
		t.Fatalf("witness %v is allowed by allowed %q", w, allowed)
	}
}

// A requested item may differ from the allowed ones only on paths that are
// never canonical; then it is covered. Here requested "a/%C3*" adds only
// paths where "%C3" is not followed by a continuation escape (invalid
// UTF-8) to allowed items that spell out every continuation "%80" to
// "%BF", in every mix of cases.
func TestCoversCanonicalOnly(t *testing.T) {
	var items []string
	for _, hi := range "89ABab" {
		for _, lo := range "0123456789ABCDEFabcdef" {
			items = append(items, fmt.Sprintf("*:a/%%C3%%%c%c*", hi, lo))
		}
	}
	allowed := scope.MustParse(strings.Join(items, " "))
	requested := scope.MustParse("*:a/%C3*")
	if got, w := scope.Covers(allowed, requested); !got {
		t.Fatalf("Covers = false with witness %v; the only uncovered paths are non-canonical", w)
	}
	// Without the canonical restriction the answer would be no: "a/%C3x"
	// is in requested's language and in none of allowed's.
	for _, it := range allowed.Items() {
		if oracle.Regexp(it.Pattern).MatchString("a/%C3x") {
			t.Fatalf("%s matches a/%%C3x; the test no longer shows what it should", it)
		}
	}
}

// everyNameableStart is "*:a/" and one item "*:a/P*" for every way P that
// a pattern can begin a canonical segment: every byte a pattern can spell,
// after "", "." or "..", and every escape. Only '"' and '*', which
// canonical paths hold and no pattern can spell, begin a segment that none
// of them matches.
func everyNameableStart() []string {
	items := []string{"*:a/"}
	for _, lead := range []string{"", ".", ".."} {
		for c := byte(0x21); c <= 0x7E; c++ {
			// "." after "" or "." would spell a dot segment; after ".." it
			// begins an ordinary one ("...").
			if strings.IndexByte("\"#;?\\*/%", c) < 0 && (c != '.' || lead == "..") {
				items = append(items, "*:a/"+lead+string(c)+"*")
			}
		}
		for _, h := range "0123456789ABCDEFabcdef" {
			for _, l := range "0123456789ABCDEFabcdef" {
				// Escapes that can begin a canonical segment; the rest fail to parse.
				if it := "*:a/" + lead + "%" + string(h) + string(l) + "*"; parses(it) {
					items = append(items, it)
				}
			}
		}
	}
	return items
}

// Regression: when the allowed scope named every byte a pattern can spell
// after a prefix, the search had no byte left to stand for the others, and
// '"' and '*' were never tried: Covers said "covered", Equal "equal",
// Minimize dropped an item that changes the scope and lint called it
// redundant.
func TestCoversUnnameableBytes(t *testing.T) {
	items := everyNameableStart()
	allowed := scope.MustParse(strings.Join(items, " "))
	requested := scope.MustParse("*:a/*")
	got, w := scope.Covers(allowed, requested)
	if want := (scope.Witness{Method: "GET", Path: `/a/"`}); got || w != want {
		t.Errorf("Covers = %v, %v; want false, %v", got, w, want)
	}
	checkWitness(t, allowed, requested, got, w)
	// With *:a/* last, every other item is covered by it, and it by none.
	both := scope.MustParse(strings.Join(append(items, "*:a/*"), " "))
	if scope.Equal(allowed, both) {
		t.Errorf("Equal says adding *:a/* changes nothing")
	}
	if min := scope.Minimize(both).String(); min != "*:a/*" {
		t.Errorf("Minimize = %.80q…, want *:a/*", min)
	}
	for _, f := range scope.Lint(both.String()) {
		if f.Code == scope.Redundant && f.Item == "*:a/*" {
			t.Errorf("lint: %s", f.Message)
		}
	}
}

func parses(s string) bool {
	_, err := scope.Parse(s)
	return err == nil
}

// The automaton of canonical paths and CheckPath agree on every path.
func TestCanonDFAAgreesWithCheckPath(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := scopegen.Path(10).Draw(t, "path")
		if got, want := scope.CanonDFAAccepts(p), oracle.Canonical(p); got != want {
			t.Fatalf("canonical DFA says %v for %q, oracle %v", got, p, want)
		}
	})
}

// Covers agrees with brute force over every short path spelled from the
// patterns' pieces, and every witness is checked by the matcher.
func TestCoversProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		allowed := scopegen.Set(4, 4).Draw(t, "allowed")
		requested := scopegen.Set(3, 4).Draw(t, "requested")
		got, w := scope.Covers(allowed, requested)
		checkWitness(t, allowed, requested, got, w)
		if got {
			ma, mr := match.Compile(allowed), match.Compile(requested)
			for _, p := range shortPaths() {
				for _, m := range []string{"GET", "POST"} {
					if mr.Allow(m, p) && !ma.Allow(m, p) {
						t.Fatalf("Covers(%q, %q) = true, but %s %s is allowed by requested only", allowed, requested, m, p)
					}
				}
			}
		}
	})
}

var shortPathsCache []string

// shortPaths is every path of up to three pieces (pieces, "/" and an
// escape), with its leading "/".
func shortPaths() []string {
	if shortPathsCache != nil {
		return shortPathsCache
	}
	pieces := append([]string{"/", "%C3%A9", "z"}, scopegen.Pieces...)
	paths := []string{"/"}
	frontier := []string{""}
	for n := 0; n < 3; n++ {
		var next []string
		for _, f := range frontier {
			for _, p := range pieces {
				next = append(next, f+p)
				paths = append(paths, "/"+f+p)
			}
		}
		frontier = next
	}
	shortPathsCache = paths
	return paths
}

func TestCoversLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := scopegen.Set(4, 4).Draw(t, "a")
		b := scopegen.Set(4, 4).Draw(t, "b")
		c := scopegen.Set(4, 4).Draw(t, "c")
		if ok, w := scope.Covers(a, a); !ok {
			t.Fatalf("Covers(a, a) = false for %q: %v", a, w)
		}
		ab, _ := scope.Covers(a, b)
		bc, _ := scope.Covers(b, c)
		if ac, w := scope.Covers(a, c); ab && bc && !ac {
			t.Fatalf("not transitive: %q ⊇ %q ⊇ %q, but witness %v", a, b, c, w)
		}
		min := scope.Minimize(a)
		if ok, w := scope.Covers(a, min); !ok {
			t.Fatalf("Covers(%q, Minimize = %q) = false: %v", a, min, w)
		}
		if ok, w := scope.Covers(min, a); !ok {
			t.Fatalf("Covers(Minimize = %q, %q) = false: %v", min, a, w)
		}
		if !scope.Equal(a, min) {
			t.Fatalf("Equal(%q, Minimize) = false", a)
		}
		// No kept item is covered by the other kept items.
		items := min.Items()
		for i, it := range items {
			if it.Class == scope.Plain {
				continue
			}
			var rest []string
			for j, o := range items {
				if j != i {
					rest = append(rest, o.String())
				}
			}
			if ok, _ := scope.Covers(scope.MustParse(strings.Join(rest, " ")), scope.MustParse(it.String())); ok {
				t.Fatalf("Minimize(%q) = %q keeps %s, which the others cover", a, min, it)
			}
		}
	})
}

// Covers(a, b) holds iff a allows every request of a large sample of b's.
func TestCoversAgainstSample(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := scopegen.Set(4, 4).Draw(t, "a")
		b := scopegen.Set(3, 4).Draw(t, "b")
		got, _ := scope.Covers(a, b)
		ma, mb := match.Compile(a), match.Compile(b)
		for i := 0; i < 200; i++ {
			m := rapid.SampledFrom([]string{"GET", "HEAD", "PUT", "DELETE"}).Draw(t, "m")
			p := scopegen.Path(6).Draw(t, "p")
			if got && mb.Allow(m, p) && !ma.Allow(m, p) {
				t.Fatalf("Covers(%q, %q) = true, but %s %s", a, b, m, p)
			}
		}
	})
}

func TestMinimize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"*:a/** *:a/b", "*:a/**"},
		{"*:a/b *:a/**", "*:a/**"},
		{".:a *:a", "*:a"},
		{"*:a .:a", "*:a"},
		{"*:a/* *:a/*/** *:a/**", "*:a/* *:a/*/**"},
		{"*:a/** *:a/* *:a/*/**", "*:a/**"},
		{"openid *:** .:x email", "openid *:** email"},
		{"*:config/tokenPolicies** *:config/tokenPolicies *:config/tokenPolicies/**", "*:config/tokenPolicies**"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := scope.Minimize(scope.MustParse(tc.in)).String(); got != tc.want {
			t.Errorf("Minimize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"*:config/tokenPolicies**", "*:config/tokenPolicies *:config/tokenPolicies/**", false},
		// A segment glued to a star, then any subtree: every string after
		// "tokenPolicies" either has no "/" or splits at its first one.
		{"*:config/tokenPolicies**", "*:config/tokenPolicies* *:config/tokenPolicies*/**", true},
		{"*:a/**", "*:a/* *:a/*/**", true},
		{"*:a .:a", "*:a", true},
		{".:a", "*:a", false},
		{"openid", "", false},
	}
	for _, tc := range tests {
		a, err1 := scope.Parse(tc.a)
		b, err2 := scope.Parse(tc.b)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got := scope.Equal(a, b); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// A pathological pair hits the state bound and says so, never answering
// wrongly.
func TestCoversBound(t *testing.T) {
	// "**/a/*/*/.../*" needs a state per subset of the last segments seen.
	var b strings.Builder
	b.WriteString("*:**/a")
	for i := 0; i < 18; i++ {
		b.WriteString("/*")
	}
	requested := scope.MustParse(b.String())
	allowed := scope.MustParse(strings.Replace(b.String(), "/a", "/b", 1) + " *:**/c/**")
	got, w := scope.Covers(allowed, requested)
	if got || !errors.Is(w.Err, scope.ErrTooComplex) {
		t.Fatalf("Covers on a pathological pair = %v, %v; want false with ErrTooComplex", got, w)
	}
}
