package scope_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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
		{"prefix-bleed single star", ".:config/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 16, ".:config/client*", ""}}},
		{"prefix-bleed mid-pattern", ".:config/client*/secret", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 16, ".:config/client*/secret", ""}}},
		// A literal that is no path alone cannot bleed: every match goes past it.
		{"no prefix-bleed after a dot segment", "*:.**", nil},
		{"no prefix-bleed after a dot-dot segment", ".:a/..*", nil},
		{"no prefix-bleed after a partial UTF-8 escape", "*:a%C3**", nil},
		{"prefix-bleed in a later segment", "*:.*/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 12, "*:.*/client*", ""}}},
		// A wildcard earlier in the segment makes the last one a glob.
		{"no prefix-bleed in a glob segment", ".:files/*.* *:x/**.**", nil},
		{"prefix-bleed after a globbed segment", ".:*/client*", []lintSum{{scope.PrefixBleed, scope.SeverityWarning, 11, ".:*/client*", ""}}},
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
		{"whitespace", "  *:a   .:b ", []lintSum{
			{scope.Whitespace, scope.SeverityInfo, 1, "", "*:a .:b"},
			{scope.Whitespace, scope.SeverityInfo, 6, "", "*:a .:b"},
			{scope.Whitespace, scope.SeverityInfo, 12, "", "*:a .:b"},
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

// checkSuggestion verifies a finding's suggestion: it parses, the finding
// is gone from it, and it means what the message claims.
func checkSuggestion(t *testing.T, orig string, f scope.Finding) {
	t.Helper()
	if f.Suggestion == "" {
		return
	}
	sugg, err := scope.Parse(f.Suggestion)
	if err != nil {
		t.Errorf("%s: suggestion %q does not parse: %v", f.Code, f.Suggestion, err)
		return
	}
	for _, g := range scope.Lint(f.Suggestion) {
		if g.Code == f.Code && g.Item == f.Item {
			t.Errorf("%s: suggestion %q still has the finding", f.Code, f.Suggestion)
		}
	}
	o, err := scope.Parse(orig)
	if err != nil {
		return // a parse error's fix: the original means nothing to compare
	}
	switch f.Code {
	case scope.Duplicate, scope.Redundant, scope.Whitespace:
		if eq, err := scope.Equal(o, sugg); err != nil || !eq {
			t.Errorf("%s: suggestion %q does not allow exactly what %q does", f.Code, f.Suggestion, orig)
		}
	case scope.PrefixBleed:
		if ok, w := scope.Covers(o, sugg); !ok {
			t.Errorf("prefix-bleed: suggestion %q allows %v, which %q does not", f.Suggestion, w, orig)
		}
		if ok, w := scope.Covers(sugg, o); ok || w.Path == "" {
			t.Errorf("prefix-bleed: %q should allow a bled path that %q does not (witness %v)", orig, f.Suggestion, w)
		}
	}
}
