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
		// Items allowed holds verbatim are covered and leave the question;
		// the same pattern in a narrower class does not.
		{"same pattern, narrower class", ".:a *:b", "*:a", false, scope.Witness{Method: "POST", Path: "/a"}},
		{"verbatim items and one more", "*:a .:b/** *:c*", "*:a .:b/** .:d", false, scope.Witness{Method: "GET", Path: "/d"}},
		{"verbatim in a wider class", "*:a/** .:b", ".:a/** .:b", true, scope.Witness{}},
		// Allowed items whose prefix cannot overlap still count where they do.
		{"overlap through a wildcard", "*:x/y *:**/z", "*:x/**/z", true, scope.Witness{}},
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
	if eq, err := scope.Equal(allowed, both); eq || err != nil {
		t.Errorf("Equal = %v, %v; adding *:a/* changes what the scope allows", eq, err)
	}
	if min, err := scope.Minimize(both); min.String() != "*:a/*" || err != nil {
		t.Errorf("Minimize = %.80q…, %v; want *:a/*", min, err)
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
// patterns' pieces, every witness is checked by the matcher, and none of
// those paths is shorter than the witness.
func TestCoversProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		allowed := scopegen.Set(4, 4).Draw(t, "allowed")
		requested := scopegen.Set(3, 4).Draw(t, "requested")
		got, w := scope.Covers(allowed, requested)
		checkWitness(t, allowed, requested, got, w)
		ma, mr := match.Compile(allowed), match.Compile(requested)
		for _, p := range shortPaths() {
			for _, m := range []string{"GET", "POST"} {
				if !mr.Allow(m, p) || ma.Allow(m, p) {
					continue
				}
				if got {
					t.Fatalf("Covers(%q, %q) = true, but %s %s is allowed by requested only", allowed, requested, m, p)
				}
				if w.Plain == "" && len(p) < len(w.Path) {
					t.Fatalf("Covers(%q, %q): witness %v, but %s %s is shorter", allowed, requested, w, m, p)
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
		min, err := scope.Minimize(a)
		if err != nil {
			t.Fatalf("Minimize(%q): %v", a, err)
		}
		if ok, w := scope.Covers(a, min); !ok {
			t.Fatalf("Covers(%q, Minimize = %q) = false: %v", a, min, w)
		}
		if ok, w := scope.Covers(min, a); !ok {
			t.Fatalf("Covers(Minimize = %q, %q) = false: %v", min, a, w)
		}
		if eq, err := scope.Equal(a, min); !eq || err != nil {
			t.Fatalf("Equal(%q, Minimize) = %v, %v", a, eq, err)
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
		got, err := scope.Minimize(scope.MustParse(tc.in))
		if got.String() != tc.want || err != nil {
			t.Errorf("Minimize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
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
		if got, err := scope.Equal(a, b); got != tc.want || err != nil {
			t.Errorf("Equal(%q, %q) = %v, %v; want %v", tc.a, tc.b, got, err, tc.want)
		}
	}
}

// Regression: cost was bounded by states, not work. This pair, which a
// search over subsets of both sides cannot finish ("**/a/*/*/…/*" needs a
// state per subset of the last segments seen), hit the state bound after
// seconds; the antichain search decides it.
func TestCoversPathological(t *testing.T) {
	req := "*:**/a" + strings.Repeat("/*", 18)
	allowed, requested := scope.MustParse(strings.Replace(req, "/a", "/b", 1)+" *:**/c/**"), scope.MustParse(req)
	got, w := scope.Covers(allowed, requested)
	if got || w.Err != nil || w.Path == "" {
		t.Fatalf("Covers = %v, %v; want false with a witness", got, w)
	}
	checkWitness(t, allowed, requested, got, w)
	if len(w.Path) != len("/x/a/")+2*17 { // the last segment is empty: "…/y/"
		t.Errorf("witness %v is not a shortest one", w)
	}
}

// Regression: an adversarial question (allowed "**a*/*/…/*" beside
// 60 two-letter items "**xy", requested "**a/*/…/*", 471 bytes) took 10 s
// and 500 MB to give up. Every path of requested has a segment that ends in
// "a" ten segments before its end, which allowed's first item needs only
// to contain "a": covered, and decided at its first state.
func TestCoversAdversarialDecided(t *testing.T) {
	for _, n := range []int{60, 240} {
		allowed, requested := adversarialCovers(n)
		if got, w := scope.Covers(allowed, requested); !got {
			t.Errorf("%d items: Covers = false, %v; want true", n, w)
		}
	}
}

// A question that exceeds its budget, in steps or in bytes, is undecided,
// never answered by a guess, and says which bound it reached; Equal,
// Minimize and ReachesTemplate return the error.
func TestBudget(t *testing.T) {
	allowed, requested := scope.MustParse("*:a/* *:a/*/**"), scope.MustParse("*:a/**")
	if got, w := scope.Covers(allowed, requested); !got {
		t.Fatalf("Covers = false, %v; want true within the default budget", w)
	}
	for _, tc := range []struct {
		budget scope.Budget
		bound  string
	}{{scope.Budget{Steps: 5}, "steps"}, {scope.Budget{Bytes: 100}, "bytes"}} {
		got, w := tc.budget.Covers(allowed, requested)
		var be *scope.BudgetError
		if got || !errors.Is(w.Err, scope.ErrTooComplex) || !errors.As(w.Err, &be) || be.Bound != tc.bound {
			t.Errorf("%+v: Covers = %v, %v; want false, undecided by %s", tc.budget, got, w, tc.bound)
		}
		if w.Method != "" || w.Path != "" || w.Plain != "" {
			t.Errorf("%+v: an undecided answer carries a witness: %+v", tc.budget, w)
		}
		if eq, err := tc.budget.Equal(allowed, requested); eq || !errors.Is(err, scope.ErrTooComplex) {
			t.Errorf("%+v: Equal = %v, %v; want false, undecided", tc.budget, eq, err)
		}
		both := scope.MustParse("*:a/* *:a/*/** *:a/**")
		if min, err := tc.budget.Minimize(both); min.String() != both.String() || !errors.Is(err, scope.ErrTooComplex) {
			t.Errorf("%+v: Minimize = %q, %v; want the scope unchanged, undecided", tc.budget, min, err)
		}
		if _, ok, err := tc.budget.ReachesTemplate(scope.MustParse("*:a/**x"), "GET", "/a/{id}/b/{id}/x"); ok || !errors.Is(err, scope.ErrTooComplex) {
			t.Errorf("%+v: ReachesTemplate = %v, %v; want undecided", tc.budget, ok, err)
		}
	}
	// A question decided by its answer in one direction needs no budget
	// for the other.
	if eq, err := (scope.Budget{Steps: 1}).Equal(scope.MustParse("openid"), scope.MustParse("")); eq || err != nil {
		t.Errorf("Equal of scopes that differ in a plain item = %v, %v; want false, nil", eq, err)
	}
}

// byteClassPattern draws a short pattern after "a/" from every class of
// byte: every byte a pattern can spell, "/", ".", escapes (one of them of
// '*', which canonical paths hold unescaped too) and wildcards.
func byteClassPattern(t *rapid.T) string {
	for {
		var b strings.Builder
		b.WriteString("a/")
		for i := rapid.IntRange(1, 4).Draw(t, "elems"); i > 0; i-- {
			switch rapid.IntRange(0, 5).Draw(t, "kind") {
			case 0:
				b.WriteString(rapid.SampledFrom([]string{"*", "**"}).Draw(t, "wild"))
			case 1:
				b.WriteString(rapid.SampledFrom([]string{"/", ".", "%41", "%2A", "%C3%A9"}).Draw(t, "special"))
			default:
				b.WriteByte(rapid.SampledFrom(scopegen.PatternBytes).Draw(t, "byte"))
			}
		}
		if p := b.String(); parses("*:" + p) {
			return p
		}
	}
}

// byteClassSet draws a scope of such patterns; sometimes it also names
// every way a pattern can begin a segment after "a/", so that only the
// bytes no pattern can spell ('"' and '*') are left over.
func byteClassSet(t *rapid.T, name string) scope.Set {
	var items []string
	for i := rapid.IntRange(1, 4).Draw(t, name+"Items"); i > 0; i-- {
		items = append(items, rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class")+byteClassPattern(t))
	}
	if rapid.IntRange(0, 3).Draw(t, name+"Every") == 0 {
		items = append(items, everyNameableStart()...)
	}
	return scope.MustParse(strings.Join(items, " "))
}

// bruteForcePaths is "/a/" followed by every string of up to two units,
// a unit being any byte a canonical path may hold or an escape.
var bruteForcePaths = func() []string {
	var units []string
	for c := byte(0x21); c <= 0x7E; c++ {
		if strings.IndexByte(`\;?#`, c) < 0 {
			units = append(units, string(c))
		}
	}
	units = append(units, "%41", "%2A", "%C3%A9")
	paths := []string{"/a/", "/a"}
	for _, u := range units {
		paths = append(paths, "/a/"+u)
		for _, v := range units {
			paths = append(paths, "/a/"+u+v)
		}
	}
	return paths
}()

// shortestDifference is a shortest path of bruteForcePaths that requested
// allows and allowed denies for method, or "".
func shortestDifference(allowed, requested *match.Matcher, method string) string {
	best := ""
	for _, p := range bruteForcePaths {
		if (best == "" || len(p) < len(best)) && requested.Allow(method, p) && !allowed.Allow(method, p) {
			best = p
		}
	}
	return best
}

// Containment agrees with brute force over every path of up to two units
// after "a/", on scopes that name every class of byte, among them scopes
// that spell every byte a pattern can, and no path found so is shorter
// than the witness; Equal and Minimize agree too.
func TestCoversBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		allowed, requested := byteClassSet(t, "allowed"), byteClassSet(t, "requested")
		got, w := scope.Covers(allowed, requested)
		checkWitness(t, allowed, requested, got, w)
		ma, mr := match.Compile(allowed), match.Compile(requested)
		for _, m := range []string{"GET", "POST"} {
			p := shortestDifference(ma, mr, m)
			if got && p != "" {
				t.Fatalf("Covers(%.300q, %.300q) = true, but %s %s is allowed by requested only", allowed, requested, m, p)
			}
			if !got && w.Plain == "" && p != "" && len(p) < len(w.Path) {
				t.Fatalf("Covers(%.300q, %.300q): witness %v, but %s %s is shorter", allowed, requested, w, m, p)
			}
		}
		min, err := scope.Minimize(allowed)
		if err != nil {
			t.Fatal(err)
		}
		mm := match.Compile(min)
		for _, m := range []string{"GET", "POST"} {
			if p := shortestDifference(mm, ma, m) + shortestDifference(ma, mm, m); p != "" {
				t.Fatalf("Minimize(%.300q) = %.300q changes %s %s", allowed, min, m, p)
			}
		}
		if eq, err := scope.Equal(allowed, min); !eq || err != nil {
			t.Fatalf("Equal(%.300q, Minimize = %.300q) = %v, %v", allowed, min, eq, err)
		}
	})
}

// A large question that the default budget refuses (quickly: see
// BenchmarkCoversRefused) is decided by a larger budget.
func TestBudgetLargerDecides(t *testing.T) {
	allowed, requested := wideCovers()
	got, w := scope.Covers(allowed, requested)
	var be *scope.BudgetError
	if got || !errors.As(w.Err, &be) || be.Bound != "steps" || be.Limit != scope.DefaultBudget.Steps {
		t.Fatalf("Covers = %v, %v; want undecided by the default steps", got, w)
	}
	got, w = scope.Budget{Steps: 100_000_000}.Covers(allowed, requested)
	if want := (scope.Witness{Method: "GET", Path: "/a/y/a/"}); got || w != want {
		t.Fatalf("Covers with 10⁸ steps = %v, %v; want false, %v", got, w, want)
	}
	checkWitness(t, allowed, requested, got, w)
}

// Minimize's questions together may spend 16 times the budget's steps;
// the items not asked then are kept, and the error says so.
func TestMinimizePassBudget(t *testing.T) {
	var items []string
	for i := 0; i < 40; i++ {
		items = append(items, fmt.Sprintf("*:a/*%d/**", i))
	}
	s := scope.MustParse(strings.Join(items, " "))
	min, err := scope.Budget{Steps: 200}.Minimize(s)
	var be *scope.BudgetError
	if min.String() != s.String() || !errors.As(err, &be) || !strings.Contains(err.Error(), "(and 39 more items)") {
		t.Fatalf("Minimize = %.60q…, %v; want the scope unchanged and 40 items undecided", min, err)
	}
	// "*:a/*1X/**" ends its segment with X, so "*:a/*X/**" covers it.
	if min, err := scope.Minimize(s); min.String() != strings.Join(items[:10], " ") || err != nil {
		t.Fatalf("Minimize with the default budget = %.60q…, %v; want the first ten items, decided", min, err)
	}
}

// Regression: a realistic policy against realistic requests whose answers
// need long paths; the state bound gave up on the covered one after 1.3 s
// and 400 MB. Both are decided, the other with a shortest witness of 47
// bytes.
func TestCoversRealistic(t *testing.T) {
	for _, c := range realisticCovers {
		allowed, requested := scope.MustParse(c.allowed), scope.MustParse(c.requested)
		got, w := scope.Covers(allowed, requested)
		if got != c.covered || w.Err != nil {
			t.Errorf("%s: Covers = %v, %v; want %v", c.name, got, w, c.covered)
		}
		checkWitness(t, allowed, requested, got, w)
		if want := "/config/a/loginPolicies/a/a/a/a/a/a/pushClaims/"; !got && (w.Method != "POST" || w.Path != want) {
			t.Errorf("%s: witness %v; want POST %s", c.name, w, want)
		}
	}
}
