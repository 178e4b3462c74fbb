package fuzz

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// FuzzParse: Parse never panics; a damaged scope yields no items and
// errors with sane positions; a valid one's canonical text reparses to the
// same items and formats to itself.
func FuzzParse(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := scope.Parse(s)
		if err != nil {
			list, ok := err.(scope.ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("Parse(%q) error %T %v is not a non-empty ErrorList", s, err, err)
			}
			if set.Len() != 0 {
				t.Fatalf("Parse(%q) returned items with an error", s)
			}
			for _, e := range list {
				if e.Offset < 0 || e.Offset > len(s) || e.Column != e.Offset+1 || e.Code == "" || e.Message == "" {
					t.Fatalf("Parse(%q): malformed error %+v", s, e)
				}
				if e.Code == scope.Internal {
					t.Fatalf("Parse(%q): internal error %v", s, e)
				}
			}
			return
		}
		canon := set.String()
		again, err := scope.Parse(canon)
		if err != nil {
			t.Fatalf("canonical text %q of %q does not parse: %v", canon, s, err)
		}
		if diff := cmp.Diff(set.Items(), again.Items()); diff != "" {
			t.Fatalf("canonical text %q of %q parses to other items:\n%s", canon, s, diff)
		}
		if again.String() != canon {
			t.Fatalf("formatting %q is not idempotent: %q", canon, again.String())
		}
	})
}

// FuzzAllow: the matcher agrees with the oracle, and a non-canonical path
// is never allowed; a scope that does not parse allows nothing.
func FuzzAllow(f *testing.F) {
	for i, s := range scopeSeeds {
		for j, p := range pathSeeds {
			if (i+j)%3 == 0 {
				f.Add(s, methodSeeds[(i+j)%len(methodSeeds)], p)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s, method, path string) {
		m, err := match.CompileString(s)
		if err != nil {
			if m.Allow(method, path) || m.Decide(method, path).Allowed {
				t.Fatalf("scope %q does not parse but allowed %q %q", s, method, path)
			}
			return
		}
		checkAgreement(t, scope.MustParse(s), m, method, path)
	})
}

// FuzzExactItems: Allow, Decide and the oracle agree when the scope holds
// an exact item of any length from 1 to 300, which the fuzzer picks, and
// spelled from the fuzzed scope's bytes; every execution checks, beside
// the fuzzed path, the paths of length 0 and 1 and the item's own path and
// its neighbours. The exact-path table, keyed by length, and the trie
// both hold such an item.
func FuzzExactItems(f *testing.F) {
	f.Add(uint16(63), "*:**a", "GET", "/")
	f.Add(uint16(64+1<<15), ".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", "HEAD", "/config")
	f.Add(uint16(127), "*:a/**b .:a/%C3%A9", "PUT", "/a/%C3%A9")
	f.Fuzz(func(t *testing.T, n uint16, s, method, path string) {
		key := scopegen.LiteralFrom(s, int(n%300)+1)
		item := []string{".:", "*:"}[n>>15] + key
		set, err := scope.Parse(s + " " + item)
		if err != nil {
			set = scope.MustParse(item)
		}
		m := match.Compile(set)
		for _, p := range []string{path, "", "/", "a", "/" + key, "/" + key + "/", "/" + key[:len(key)-1], "/" + key[1:]} {
			checkAgreement(t, set, m, method, p)
			checkAgreement(t, set, m, "GET", p)
		}
	})
}

// checkAgreement holds Allow and Decide to the oracle on one request: the
// same answer, no non-canonical path allowed, and the earliest granting
// item named.
func checkAgreement(t interface{ Fatalf(string, ...any) }, set scope.Set, m *match.Matcher, method, path string) {
	v := oracle.Decide(set, method, path)
	got, d := m.Allow(method, path), m.Decide(method, path)
	if got != v.Allowed || d.Allowed != v.Allowed {
		t.Fatalf("scope %q, %q %q: Allow %v, Decide %v, oracle %+v", set, method, path, got, d, v)
	}
	if got && !oracle.Canonical(path) {
		t.Fatalf("scope %q allowed non-canonical path %q", set, path)
	}
	if d.Allowed && (d.Index != v.Grant || d.Item != set.Item(v.Grant)) {
		t.Fatalf("scope %q, %q %q: granted by item %d, oracle says %d", set, method, path, d.Index, v.Grant)
	}
}

// FuzzCovers: Covers never panics; when it says no, the witness is a
// canonical request that requested allows and allowed denies (checked by
// the matcher and the oracle) or a plain item allowed lacks; when it says
// yes, allowed allows every request of requested tried here.
func FuzzCovers(f *testing.F) {
	for i, a := range scopeSeeds {
		f.Add(a, scopeSeeds[(i*7+3)%len(scopeSeeds)], pathSeeds[i%len(pathSeeds)])
	}
	f.Fuzz(func(t *testing.T, a, b, path string) {
		allowed, err1 := scope.Parse(a)
		requested, err2 := scope.Parse(b)
		if err1 != nil || err2 != nil {
			return
		}
		ok, w := scope.Covers(allowed, requested)
		ma, mr := match.Compile(allowed), match.Compile(requested)
		switch {
		case ok:
			for _, m := range []string{"GET", "POST"} {
				if mr.Allow(m, path) && !ma.Allow(m, path) {
					t.Fatalf("Covers(%q, %q) = true, but %s %q is allowed by requested only", a, b, m, path)
				}
			}
		case w.Err != nil:
			if !errors.Is(w.Err, scope.ErrTooComplex) {
				t.Fatalf("Covers(%q, %q): unexpected error %v", a, b, w.Err)
			}
		case w.Plain != "":
			if !strings.Contains(" "+b+" ", " "+w.Plain+" ") || strings.Contains(" "+allowed.String()+" ", " "+w.Plain+" ") {
				t.Fatalf("Covers(%q, %q): bad plain witness %q", a, b, w.Plain)
			}
		default:
			if !oracle.Canonical(w.Path) || !mr.Allow(w.Method, w.Path) || ma.Allow(w.Method, w.Path) {
				t.Fatalf("Covers(%q, %q): witness %v is not a canonical request of requested only", a, b, w)
			}
			if !oracle.Decide(requested, w.Method, w.Path).Allowed || oracle.Decide(allowed, w.Method, w.Path).Allowed {
				t.Fatalf("Covers(%q, %q): the oracle disagrees with witness %v", a, b, w)
			}
		}
	})
}

// FuzzScanner is the differential target between Parse, which tries a
// hand-written scanner first, and ParseGrammar, which uses the participle
// grammar alone: on every input, valid or not, the same items or the same
// errors (codes, offsets, columns, items, messages).
func FuzzScanner(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, err1 := scope.Parse(s)
		slow, err2 := scope.ParseGrammar(s)
		if diff := cmp.Diff(slow.Items(), fast.Items()); diff != "" {
			t.Fatalf("%q: items differ (-grammar +Parse):\n%s", s, diff)
		}
		if diff := cmp.Diff(err2, err1); diff != "" {
			t.Fatalf("%q: errors differ (-grammar +Parse):\n%s", s, diff)
		}
	})
}

// FuzzLint: Lint never panics, reports positions inside the string, and
// every suggestion parses; a suggestion that drops a duplicate or
// redundant item allows exactly what the scope does.
func FuzzLint(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Add("*:a/* *:a/*/** *:a/** *:a/* .:config/{id} a:b  ")
	f.Fuzz(func(t *testing.T, s string) {
		orig, origErr := scope.Parse(s)
		for _, fd := range scope.Lint(s) {
			if fd.Offset < 0 || fd.Offset > len(s) || fd.Column != fd.Offset+1 || fd.Message == "" {
				t.Fatalf("Lint(%q): malformed finding %+v", s, fd)
			}
			if fd.Suggestion == "" {
				continue
			}
			sugg, err := scope.Parse(fd.Suggestion)
			if err != nil {
				t.Fatalf("Lint(%q): %s suggestion %q does not parse: %v", s, fd.Code, fd.Suggestion, err)
			}
			if origErr == nil && (fd.Code == scope.Duplicate || fd.Code == scope.Redundant) {
				if eq, err := scope.Equal(orig, sugg); err == nil && !eq {
					t.Fatalf("Lint(%q): %s suggestion %q changes what the scope allows", s, fd.Code, fd.Suggestion)
				}
			}
		}
	})
}
