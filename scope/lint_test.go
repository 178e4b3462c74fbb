package scope_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

type lintSum struct {
	Code       scope.Code
	Severity   scope.Severity
	Column     int
	Item       string
	Suggestion string
}

func lintSummary(fs []scope.Finding) []lintSum {
	var out []lintSum
	for _, f := range fs {
		out = append(out, lintSum{f.Code, f.Severity, f.Column, f.Item, f.Suggestion})
	}
	return out
}

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		scope string
		want  []lintSum
	}{
		{"super-admin", "*:**", []lintSum{{scope.SuperAdmin, scope.SeverityWarning, 1, "*:**", ""}}},
		{"read-all", "openid .:**", []lintSum{{scope.ReadAll, scope.SeverityInfo, 8, ".:**", ""}}},
		{"prefix-bleed", "*:config/tokenPolicies**", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 23, "*:config/tokenPolicies**",
			"*:config/tokenPolicies *:config/tokenPolicies/**"}}},
		{"prefix-bleed single star", ".:config/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 16, ".:config/client*", ".:config/client"}}},
		{"prefix-bleed mid-pattern", ".:config/client*/secret", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 16, ".:config/client*/secret", ".:config/client/secret"}}},
		{"prefix-bleed mid-pattern double star", "*:a**/b", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 4, "*:a**/b", "*:a/b *:a/**/b"}}},
		// Other items allow what bleeds: the rewrite changes nothing.
		{"prefix-bleed covered by another item", "*:a** *:**", []lintSum{
			{scope.PrefixBleed, scope.SeverityWarning, 4, "*:a**", "*:a *:a/** *:**"},
			{scope.Redundant, scope.SeverityWarning, 1, "*:a**", "*:**"},
			{scope.SuperAdmin, scope.SeverityWarning, 7, "*:**", ""},
		}},
		// A literal that is no path alone cannot bleed: every match goes past it.
		{"no prefix-bleed after a dot segment", "*:.**", nil},
		{"no prefix-bleed after a dot-dot segment", ".:a/..*", nil},
		{"no prefix-bleed after a partial UTF-8 escape", "*:a%C3**", nil},
		{"prefix-bleed in a later segment", "*:.*/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 12, "*:.*/client*", "*:.*/client"}}},
		// A wildcard earlier in the segment makes the last one a glob.
		{"no prefix-bleed in a glob segment", ".:files/*.* *:x/**.**", nil},
		{"prefix-bleed after a globbed segment", ".:*/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 11, ".:*/client*", ".:*/client"}}},
		{"trailing-slash", "*:webhooks/", []lintSum{{scope.TrailingSlash, scope.SeverityWarning, 1, "*:webhooks/", "*:webhooks/**"}}},
		{"placeholder braces", ".:config/loginPolicies/{loginPolicyId}", []lintSum{{scope.Placeholder, scope.SeverityError, 24, ".:config/loginPolicies/{loginPolicyId}", ""}}},
		{"placeholder angle", "*:config/clients/<id>/secret", []lintSum{{scope.Placeholder, scope.SeverityError, 18, "*:config/clients/<id>/secret", ""}}},
		{"placeholder colon", "*:config/clients/:id", []lintSum{{scope.Placeholder, scope.SeverityError, 18, "*:config/clients/:id", ""}}},
		{"duplicate", "*:a .:b *:a", []lintSum{{scope.Duplicate, scope.SeverityWarning, 9, "*:a", "*:a .:b"}}},
		{"redundant", "*:a/** .:a/b openid", []lintSum{{scope.Redundant, scope.SeverityWarning, 8, ".:a/b", "*:a/** openid"}}},
		// Items are tried from the last, as Minimize does, so the earliest
		// of equivalent forms stays.
		{"redundant by union", "*:a/* *:a/*/** *:a/**", []lintSum{
			{scope.Redundant, scope.SeverityWarning, 16, "*:a/**", "*:a/* *:a/*/**"},
		}},
		{"unknown-access", "a:config/**", []lintSum{{scope.UnknownAccess, scope.SeverityWarning, 1, "a:config/**", ""}}},
		// Each fix is of its own run of blanks.
		{"whitespace", "  *:a   .:b ", []lintSum{
			{scope.Whitespace, scope.SeverityInfo, 1, "", "*:a   .:b "},
			{scope.Whitespace, scope.SeverityInfo, 6, "", "  *:a .:b "},
			{scope.Whitespace, scope.SeverityInfo, 12, "", "  *:a   .:b"},
		}},
		{"empty", "", []lintSum{{scope.Empty, scope.SeverityWarning, 1, "", ""}}},
		{"only spaces", "  ", []lintSum{{scope.Empty, scope.SeverityWarning, 1, "", ""}, {scope.Whitespace, scope.SeverityInfo, 1, "", ""}}},
		{"missing access is no placeholder", ":webhooks/**", []lintSum{{scope.MissingAccess, scope.SeverityError, 1, ":webhooks/**", ".:webhooks/**"}}},
		{"parse error with fix", "openid *.**", []lintSum{{scope.MissingColon, scope.SeverityError, 8, "*.**", "openid *:**"}}},
		{"parse errors and lint", "*:a//b *:** ", []lintSum{
			{scope.SuperAdmin, scope.SeverityWarning, 8, "*:**", ""},
			{scope.EmptySegment, scope.SeverityError, 5, "*:a//b", ""},
			{scope.Whitespace, scope.SeverityInfo, 12, "", ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lintSummary(scope.Lint(tc.scope))
			less := func(a, b lintSum) bool { return a.Column < b.Column || a.Column == b.Column && a.Code < b.Code }
			if diff := cmp.Diff(tc.want, got, cmpopts.SortSlices(less)); diff != "" {
				t.Errorf("Lint(%q) (-want +got):\n%s", tc.scope, diff)
			}
			for _, f := range scope.Lint(tc.scope) {
				checkSuggestion(t, tc.scope, f)
			}
		})
	}
}

func TestLintRedundantNamesTheCover(t *testing.T) {
	fs := scope.Lint("*:a/* openid *:a/*/** *:b *:a/**")
	if len(fs) != 1 || fs[0].Message != "item *:a/** is covered by *:a/* *:a/*/** and adds nothing; remove it" {
		t.Errorf("Lint = %+v", fs)
	}
}

// The language reference's examples raise nothing but what they deserve.
func TestLintNoFalsePositives(t *testing.T) {
	for _, s := range []string{"*:config/**", ".:config/**",
		".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1",
		"*:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1",
		"*:config/tokenPolicies/a123bcde-4f56-7890-gh12-i34j567k8l90 *:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1 *:config/clients/1ab23456-7c8d-90ef-g123-45hij6789012",
		"*:webhooks/**", "openid profile email", "example.com", "https://api.example.com/read", "*:files/*.json", "*:a/*/b"} {
		if fs := scope.Lint(s); len(fs) != 0 {
			t.Errorf("Lint(%q) = %v, want no findings", s, lintSummary(fs))
		}
	}
}

// checkSuggestion verifies a finding's claims: the suggestion parses, the
// finding is gone from it, its relation to the scope is the one Covers
// proves and one the code may claim, and the requests the message names
// (and a request on which scope and suggestion differ) are decided as
// claimed by the matcher and by the oracle.
func checkSuggestion(t errorer, orig string, f scope.Finding) {
	t.Helper()
	for _, ex := range f.Examples {
		checkRequest(t, f, ex.Scope, ex.Method, ex.Path, ex.Allowed)
	}
	if f.Fix == nil {
		if f.Relation != scope.NoSuggestion || f.Suggestion != "" {
			t.Errorf("%s: relation %v, suggestion %q without a fix", f.Code, f.Relation, f.Suggestion)
		}
		return
	}
	suggestion := f.Fix.Apply(orig)
	if want := suggestion; len(want) > scope.MaxSuggestionBytes && f.Suggestion != "" || len(want) <= scope.MaxSuggestionBytes && f.Suggestion != want {
		t.Errorf("%s: suggestion %q is not the fix %+v made, or is too long to show", f.Code, f.Suggestion, f.Fix)
	}
	sugg, err := scope.Parse(suggestion)
	if err != nil {
		t.Errorf("%s: suggestion %q does not parse: %v", f.Code, suggestion, err)
		return
	}
	// The suggestion fixes the finding: a run of blanks is one space or
	// gone, or the item is replaced or dropped, one copy of it.
	copies := func(s string) int {
		return strings.Count(" "+strings.Join(strings.Fields(s), "  ")+" ", " "+f.Item+" ")
	}
	switch {
	case f.Code == scope.Whitespace:
		if strings.Trim(orig[f.Fix.Offset:f.Fix.End], " ") != "" || (f.Fix.Text != "" && f.Fix.Text != " ") ||
			count(scope.Lint(suggestion), scope.Whitespace) != count(scope.Lint(orig), scope.Whitespace)-1 {
			t.Errorf("whitespace: fix %+v of %q is not one run of blanks made one space or none", f.Fix, orig)
		}
	case f.Item != "" && copies(suggestion) != copies(orig)-1:
		t.Errorf("%s: suggestion %q does not replace or drop one copy of %q", f.Code, suggestion, f.Item)
	}
	o, err := scope.Parse(orig)
	if err != nil {
		if f.Relation != scope.Repair {
			t.Errorf("%s: suggestion %q for a damaged scope is %v, want repair", f.Code, suggestion, f.Relation)
		}
		return
	}
	in, w1 := scope.Covers(o, sugg)  // the suggestion allows nothing more
	out, w2 := scope.Covers(sugg, o) // the suggestion allows nothing less
	if w1.Err != nil || w2.Err != nil {
		t.Errorf("%s: suggestion %q offered on an undecided question", f.Code, suggestion)
		return
	}
	var want scope.Relation
	switch {
	case in && out:
		want = scope.Same
	case in:
		want = scope.Narrower
		checkRequest(t, f, orig, w2.Method, w2.Path, true)
		checkRequest(t, f, suggestion, w2.Method, w2.Path, false)
	case out:
		want = scope.Wider
		checkRequest(t, f, orig, w1.Method, w1.Path, false)
		checkRequest(t, f, suggestion, w1.Method, w1.Path, true)
	default:
		t.Errorf("%s: suggestion %q neither covers nor is covered by %q", f.Code, suggestion, orig)
		return
	}
	if f.Relation != want {
		t.Errorf("%s: suggestion %q is said to be %v, Covers says %v", f.Code, suggestion, f.Relation, want)
	}
	allowed := map[scope.Code][]scope.Relation{
		scope.Whitespace: {scope.Same}, scope.Duplicate: {scope.Same}, scope.Redundant: {scope.Same},
		scope.PrefixBleed: {scope.Narrower, scope.Same}, scope.TrailingSlash: {scope.Wider, scope.Same},
	}
	if !slices.Contains(allowed[f.Code], want) {
		t.Errorf("%s: suggestion %q is %v, which %s may not suggest", f.Code, suggestion, want, f.Code)
	}
}

func count(fs []scope.Finding, c scope.Code) int {
	n := 0
	for _, f := range fs {
		if f.Code == c {
			n++
		}
	}
	return n
}

// errorer is what checkSuggestion needs of a *testing.T or a *rapid.T.
type errorer interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkRequest holds one claim, that scope s allows (or denies) a request,
// to the matcher and to the oracle.
func checkRequest(t errorer, f scope.Finding, s, method, path string, allowed bool) {
	t.Helper()
	set, err := scope.Parse(s)
	if err != nil {
		t.Errorf("%s: example scope %q does not parse: %v", f.Code, s, err)
		return
	}
	if d := match.Compile(set).Decide(method, path); d.Allowed != allowed {
		t.Errorf("%s (%s): the matcher says %v for %s %s against %q, the finding says %v", f.Code, f.Message, d, method, path, s, allowed)
	}
	if v := oracle.Decide(set, method, path); v.Allowed != allowed {
		t.Errorf("%s: the oracle says %v for %s %s against %q, the finding says %v", f.Code, v.Allowed, method, path, s, allowed)
	}
}

// Every suggestion and every example of every finding, on generated
// scopes that reach each code that suggests, is what the finding says.
func TestLintAdviceIsProven(t *testing.T) {
	seen := map[scope.Code]bool{}
	// Ten rounds of rapid's checks, each from its own seed, so that every
	// code that suggests is met (the generator damages few items).
	for round := 0; round < 10; round++ {
		rapid.Check(t, func(t *rapid.T) {
			s := scopegen.LintText(5, 6).Draw(t, "scope")
			for _, f := range scope.Lint(s) {
				if f.Suggestion != "" {
					seen[f.Code] = true
				}
				checkSuggestion(t, s, f)
			}
		})
	}
	for _, c := range []scope.Code{scope.Whitespace, scope.Duplicate, scope.Redundant, scope.PrefixBleed, scope.TrailingSlash, scope.MissingColon, scope.MissingAccess, scope.LeadingSlash} {
		if !seen[c] {
			t.Errorf("no generated scope had a %s suggestion", c)
		}
	}
}

// The advice the review of the platform's examples got wrong: a single
// "*" was said to bleed into a path it does not match, and was advised a
// rewrite that grants the whole subtree.
func TestLintPrefixBleedNeverWidens(t *testing.T) {
	tests := []struct {
		scope string
		want  scope.Finding
	}{
		{"*:config/client*/secret", scope.Finding{Code: scope.PrefixBleed, Severity: scope.SeverityWarning, Offset: 15, Column: 16,
			Item:    "*:config/client*/secret",
			Message: `*:config/client*/secret also matches /config/clienta/secret: the wildcard is glued to "client" and extends that segment; to match "client" only as a whole segment, write *:config/client/secret`,
			Fix:     &scope.Edit{End: 23, Text: "*:config/client/secret"}, Suggestion: "*:config/client/secret", Relation: scope.Narrower,
			Examples: []scope.Example{
				{Scope: "*:config/client*/secret", Method: "GET", Path: "/config/clienta/secret", Allowed: true},
				{Scope: "*:config/client/secret", Method: "GET", Path: "/config/clienta/secret", Allowed: false},
			}}},
		{"*:config/client*", scope.Finding{Code: scope.PrefixBleed, Severity: scope.SeverityWarning, Offset: 15, Column: 16,
			Item:    "*:config/client*",
			Message: `*:config/client* also matches /config/clienta: the wildcard is glued to "client" and extends that segment; to match "client" only as a whole segment, write *:config/client`,
			Fix:     &scope.Edit{End: 16, Text: "*:config/client"}, Suggestion: "*:config/client", Relation: scope.Narrower,
			Examples: []scope.Example{
				{Scope: "*:config/client*", Method: "GET", Path: "/config/clienta", Allowed: true},
				{Scope: "*:config/client", Method: "GET", Path: "/config/clienta", Allowed: false},
			}}},
		{"*:config/tokenPolicies**", scope.Finding{Code: scope.PrefixBleed, Severity: scope.SeverityWarning, Offset: 22, Column: 23,
			Item:       "*:config/tokenPolicies**",
			Message:    `*:config/tokenPolicies** also matches /config/tokenPoliciesa: the wildcard is glued to "tokenPolicies" and extends that segment; to match "tokenPolicies" only as a whole segment, write *:config/tokenPolicies *:config/tokenPolicies/**`,
			Fix:        &scope.Edit{End: 24, Text: "*:config/tokenPolicies *:config/tokenPolicies/**"},
			Suggestion: "*:config/tokenPolicies *:config/tokenPolicies/**", Relation: scope.Narrower,
			Examples: []scope.Example{
				{Scope: "*:config/tokenPolicies**", Method: "GET", Path: "/config/tokenPoliciesa", Allowed: true},
				{Scope: "*:config/tokenPolicies *:config/tokenPolicies/**", Method: "GET", Path: "/config/tokenPoliciesa", Allowed: false},
			}}},
		{"*:webhooks/", scope.Finding{Code: scope.TrailingSlash, Severity: scope.SeverityWarning, Offset: 0, Column: 1,
			Item:    "*:webhooks/",
			Message: "*:webhooks/ matches only /webhooks/, not what is under it (such as /webhooks/a); write *:webhooks/** for the subtree, which grants more",
			Fix:     &scope.Edit{End: 11, Text: "*:webhooks/**"}, Suggestion: "*:webhooks/**", Relation: scope.Wider,
			Examples: []scope.Example{
				{Scope: "*:webhooks/", Method: "GET", Path: "/webhooks/", Allowed: true},
				{Scope: "*:webhooks/", Method: "GET", Path: "/webhooks/a", Allowed: false},
				{Scope: "*:webhooks/**", Method: "GET", Path: "/webhooks/a", Allowed: true},
			}}},
		{".:a/*/", scope.Finding{Code: scope.TrailingSlash, Severity: scope.SeverityWarning, Offset: 0, Column: 1,
			Item:    ".:a/*/",
			Message: `.:a/*/ matches only paths that end in "/" (such as /a/a/), not what is under them (such as /a/a/a); write .:a/*/** for the subtree, which grants more`,
			Fix:     &scope.Edit{End: 6, Text: ".:a/*/**"}, Suggestion: ".:a/*/**", Relation: scope.Wider,
			Examples: []scope.Example{
				{Scope: ".:a/*/", Method: "GET", Path: "/a/a/", Allowed: true},
				{Scope: ".:a/*/", Method: "GET", Path: "/a/a/a", Allowed: false},
				{Scope: ".:a/*/**", Method: "GET", Path: "/a/a/a", Allowed: true},
			}}},
	}
	for _, tc := range tests {
		t.Run(tc.scope, func(t *testing.T) {
			got := scope.Lint(tc.scope)
			if diff := cmp.Diff([]scope.Finding{tc.want}, got); diff != "" {
				t.Errorf("Lint(%q) (-want +got):\n%s", tc.scope, diff)
			}
			for _, f := range got {
				checkSuggestion(t, tc.scope, f)
			}
		})
	}
}

// super-admin and read-all are judged by what the scope's valid access
// items allow together, by containment, never by how they are written:
// super-admin fires once iff they cover "*:**", read-all once iff they
// cover ".:**" and not "*:**", each at one of those items.
func TestLintBreadthIsContainment(t *testing.T) {
	seen := map[scope.Code]int{}
	rapid.Check(t, func(t *rapid.T) {
		s := scopegen.BroadText(6, 4).Draw(t, "scope")
		var valid []string
		for _, f := range strings.Split(s, " ") {
			if set, err := scope.Parse(f); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain {
				valid = append(valid, f)
			}
		}
		union := scope.MustParse(strings.Join(valid, " "))
		all, w1 := scope.Covers(union, scope.MustParse("*:**"))
		reads, w2 := scope.Covers(union, scope.MustParse(".:**"))
		if w1.Err != nil || w2.Err != nil {
			t.Skip("undecided")
		}
		want := map[scope.Code]int{}
		switch {
		case all:
			want[scope.SuperAdmin] = 1
		case reads:
			want[scope.ReadAll] = 1
		}
		got := map[scope.Code]int{}
		for _, f := range scope.Lint(s) {
			if f.Code != scope.SuperAdmin && f.Code != scope.ReadAll {
				continue
			}
			got[f.Code]++
			seen[f.Code]++
			if !slices.Contains(valid, f.Item) || !strings.HasPrefix(s[f.Offset:], f.Item) {
				t.Errorf("%s at %d names %q, not an access item of %q there", f.Code, f.Offset, f.Item, s)
			}
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Lint(%q): super-admin and read-all (-want +got):\n%s", s, diff)
		}
	})
	if seen[scope.SuperAdmin] == 0 || seen[scope.ReadAll] == 0 {
		t.Errorf("the generator reached super-admin %d times and read-all %d times", seen[scope.SuperAdmin], seen[scope.ReadAll])
	}
}

func TestBreadth(t *testing.T) {
	for _, tc := range []struct {
		scope string
		want  scope.Code
	}{
		{"*:**", scope.SuperAdmin},
		{"*:* *:*/**", scope.SuperAdmin},
		{"*:**/** *:*", scope.SuperAdmin},
		{"*:** .:**", scope.SuperAdmin},
		{".:**", scope.ReadAll},
		{".:* .:*/**", scope.ReadAll},
		{"*:* .:*/**", scope.ReadAll},
		{"*:*/**", ""},
		{".:** *:a", scope.ReadAll},
		{"openid", ""},
		{"", ""},
	} {
		got, err := scope.Breadth(scope.MustParse(tc.scope))
		if got != tc.want || err != nil {
			t.Errorf("Breadth(%q) = %q, %v; want %q", tc.scope, got, err, tc.want)
		}
	}
}

// The scopes of the review: each is equivalent to "*:**" or ".:**" and
// was once reported clean.
func TestLintBreadthOfEquivalents(t *testing.T) {
	tests := []struct {
		scope string
		want  []lintSum
	}{
		{"*:* *:*/**", []lintSum{{scope.SuperAdmin, scope.SeverityWarning, 1, "*:*", ""}}},
		{"*:**/** *:*", []lintSum{{scope.SuperAdmin, scope.SeverityWarning, 1, "*:**/**", ""}}},
		{".:* .:*/**", []lintSum{{scope.ReadAll, scope.SeverityInfo, 1, ".:*", ""}}},
		// The smallest set of items that grant it is named.
		{"*:a/** *:* openid *:b *:*/**", []lintSum{
			{scope.Redundant, scope.SeverityWarning, 19, "*:b", "*:a/** *:* openid *:*/**"},
			{scope.Redundant, scope.SeverityWarning, 1, "*:a/**", "*:* openid *:b *:*/**"},
			{scope.SuperAdmin, scope.SeverityWarning, 8, "*:*", ""},
		}},
		// One finding: super-admin reads everything too.
		{"*:** .:**", []lintSum{
			{scope.Redundant, scope.SeverityWarning, 6, ".:**", "*:**"},
			{scope.SuperAdmin, scope.SeverityWarning, 1, "*:**", ""},
		}},
	}
	for _, tc := range tests {
		got := scope.Lint(tc.scope)
		less := func(a, b lintSum) bool { return a.Column < b.Column || a.Column == b.Column && a.Code < b.Code }
		if diff := cmp.Diff(tc.want, lintSummary(got), cmpopts.SortSlices(less)); diff != "" {
			t.Errorf("Lint(%q) (-want +got):\n%s", tc.scope, diff)
		}
	}
	if fs := scope.Lint("*:a/** *:* openid *:b *:*/**"); !slices.ContainsFunc(fs, func(f scope.Finding) bool {
		return f.Message == "items *:* *:*/** together grant every method on every path, as *:** does (super admin); grant the paths and methods the client needs"
	}) {
		t.Errorf("the super-admin finding does not name the items that grant it: %+v", fs)
	}
}

// Advice in a message is proven as a suggestion is, or not given: an
// unknown access class gets no rewrite, since any access item grants more
// than the plain item it is.
func TestLintUnknownAccessAdvisesNothing(t *testing.T) {
	for _, s := range []string{"x:**", "a:config/**"} {
		fs := scope.Lint(s)
		if len(fs) != 1 || fs[0].Code != scope.UnknownAccess || fs[0].Fix != nil || strings.Contains(fs[0].Message, "*:") || strings.Contains(fs[0].Message, ".:") {
			t.Errorf("Lint(%q) = %+v", s, fs)
		}
	}
}

// Lint's work and output are bounded whatever the scope: past a bound it
// gives one too-large finding without parsing, and below the bounds each
// finding holds at most one edit of the scope, not a copy of it.
func TestLintBounds(t *testing.T) {
	dups := strings.Repeat("*:a/** ", 10_000) // the review's 70 KB
	spaced := ""                              // the review's 4,000 double-spaced items
	for i := 0; i < 4000; i++ {
		spaced += fmt.Sprintf("p%d  ", i)
	}
	var many []string
	for i := 0; i <= scope.MaxLintItems; i++ {
		many = append(many, fmt.Sprintf("a%d", i))
	}
	for _, tc := range []struct{ name, scope string }{
		{"bytes", dups}, {"spaced", spaced}, {"items", strings.Join(many, " ")},
		{"item bytes", "*:" + strings.Repeat("a", scope.MaxLintItemBytes)},
	} {
		var fs []scope.Finding
		allocs := testing.AllocsPerRun(5, func() { fs = scope.Lint(tc.scope) })
		// A handful for the finding, not thousands for a parse.
		if len(fs) != 1 || fs[0].Code != scope.TooLarge || fs[0].Severity != scope.SeverityError || allocs > 20 {
			t.Errorf("%s: %d allocations, findings %+v", tc.name, int(allocs), fs)
		}
	}
	// Just inside the bounds: many findings, each with a fix of one item,
	// and suggestions only where the scope is short.
	var near []string
	for i := 0; i < scope.MaxLintItems; i++ {
		near = append(near, "*:a/**")
	}
	s := strings.Join(near, "  ")
	fs := scope.Lint(s)
	size := 0
	for _, f := range fs {
		size += len(f.Message) + len(f.Item) + len(f.Suggestion)
		if f.Fix != nil {
			size += len(f.Fix.Text)
		}
	}
	if len(fs) != scope.MaxLintFindings+1 || fs[len(fs)-1].Code != scope.TooLarge || size > 200*len(fs) {
		t.Errorf("%d findings of %d bytes on a scope of %d bytes", len(fs), size, len(s))
	}
	if fs := scope.Lint(strings.Repeat("*:a/b ", 200) + "*:a/b"); fs[0].Fix == nil || fs[0].Suggestion != "" {
		t.Errorf("a long scope's finding %+v has no fix, or a suggestion longer than %d bytes", fs[0], scope.MaxSuggestionBytes)
	}
}

// Messages quote at most a bounded part of a long item, so that the
// errors of one long damaged item do not each hold a copy of it; and at
// most MaxErrors are listed, the last counting the rest.
func TestParseMessagesAreBounded(t *testing.T) {
	s := "*:" + strings.Repeat(";", 4000)
	_, err := scope.Parse(s)
	total := 0
	errs := err.(scope.ErrorList)
	for _, e := range errs {
		total += len(e.Message)
	}
	if n := len(errs); n != scope.MaxErrors || total > 300*n {
		t.Errorf("%d errors with %d bytes of messages", n, total)
	}
	if last := errs[len(errs)-1]; !strings.HasSuffix(last.Message, "; at least 3000 more errors in this scope are not listed (at most 1000 are)") {
		t.Errorf("last error %q does not count the 3000 not listed", last.Message)
	}
}
