package main

import (
	"path/filepath"
	"strings"
	"testing"
)

const apiFile = "../../docs/identity-config.openapi.yaml"

// TestExplainGolden compares explain (and lint --api) with golden files;
// rewrite them with -update, and read the diff before committing it.
func TestExplainGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"items", []string{"explain", ".:config/tokenPolicies** *:config/clients/*/secret *:webhooks/ openid"}},
		{"input", []string{"explain", "testdata/lint/form-policies.json"}},
		{"api", []string{"explain", "--api", apiFile, ".:config/** *:config/tokenPolicies** *:webhooks/subscriptions/*"}},
		{"api-none", []string{"explain", "--api", apiFile, "openid .:config/clients"}},
		{"lint-api", []string{"lint", "--api", apiFile, "--fail-on", "warning", "--scope",
			".:config/clients/x/pushClaims *:webhooks/** .:config/loginPolicies/*/pushClaims .:config/loginPolicies/ openid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", "explain", tc.name+".golden"), runCLI("", tc.args...))
		})
	}
}

func TestExplainErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain"}, "scopecheck explain: want one SCOPE or INPUT, got 0\n"},
		{[]string{"explain", "*.**"}, "col 1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"},
		{[]string{"explain", "testdata/lint/bad-unquoted.json"}, "testdata/lint/bad-unquoted.json:2:21: invalid JSON at /allowedScopes/0: invalid character '*' at start of value\n"},
		{[]string{"explain", "--api", "testdata/lint/form-text.txt", "*:**"}, "scopecheck explain: testdata/lint/form-text.txt: "},
	} {
		got := runCLI("", tc.args...)
		if got.Code != exitUsage || !strings.HasPrefix(got.Stderr, tc.want) {
			t.Errorf("scopecheck %q = %d, %q; want 2 and %q", tc.args, got.Code, got.Stderr, tc.want)
		}
	}
}
