package main

import (
	"os"
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
		{"items", []string{"explain", "--scope", ".:config/tokenPolicies** *:config/clients/*/secret *:webhooks/ openid"}},
		{"input", []string{"explain", "testdata/lint/form-policies.json"}},
		{"inputs", []string{"explain", "--scope", "*:webhooks/**", "testdata/lint/pasted-shell-quotes.txt", "testdata/lint/form-jwt.txt"}},
		{"api", []string{"explain", "--api", apiFile, "--scope", ".:config/** *:config/tokenPolicies** *:webhooks/subscriptions/*"}},
		{"api-none", []string{"explain", "--api", apiFile, "--scope", "openid .:config/clients"}},
		{"json", []string{"explain", "--format", "json", "--scope", ".:config/client* openid"}},
		{"api-json", []string{"explain", "--format", "json", "--api", apiFile, "testdata/lint/form-introspection-clean.json"}},
		{"errors-json", []string{"explain", "--format", "json", "--scope", "*.**", "testdata/lint/bad-unquoted.json"}},
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
		{[]string{"explain"}, "scopecheck explain: give --scope or at least one INPUT\n"},
		{[]string{"explain", "--scope", "*.**"}, "--scope:1:1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"},
		// A scope where a file is expected is not guessed at.
		{[]string{"explain", "example.com"}, "example.com:1:1: open example.com: no such file or directory; to give a scope string rather than a file, use --scope [unreadable]\n"},
		{[]string{"explain", "testdata/lint/bad-unquoted.json"}, "testdata/lint/bad-unquoted.json:2:21: invalid JSON at /allowedScopes/0: invalid character '*' at start of value [malformed]\n"},
		{[]string{"explain", "testdata/lint/form-duplicate-key.json"}, "testdata/lint/form-duplicate-key.json:4:3: duplicate key \"allowedScopes\" (first at 3:3): servers disagree on which one wins, so each is linted [duplicate-key]\n"},
		{[]string{"explain", "--api", "testdata/lint/form-text.txt", "--scope", "*:**"}, "testdata/lint/form-text.txt: failed to unmarshal data"},
		{[]string{"explain", "--format", "xml", "--scope", "*:**"}, "scopecheck explain: --format must be text or json, not \"xml\"\n"},
		{[]string{"explain", "-", "-"}, "scopecheck explain: stdin (-) can be read only once\n"},
	} {
		got := runCLI("", tc.args...)
		if got.Code != exitUsage || !strings.HasPrefix(got.Stderr, tc.want) || got.Stdout != "" {
			t.Errorf("scopecheck %q = %d, %q %q; want 2 and %q", tc.args, got.Code, got.Stdout, got.Stderr, tc.want)
		}
	}
}

// An argument that names an existing file is still a file, and one given
// with --scope is still a scope, whatever exists on disk.
func TestExplainInputRule(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "example.com")
	if err := os.WriteFile(name, []byte("*:**\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runCLI("", "explain", "--scope", name); !strings.HasPrefix(got.Stdout, name+"\n  a plain scope name") {
		t.Errorf("--scope read a file: %+v", got)
	}
	if got := runCLI("", "explain", name); !strings.Contains(got.Stdout, "*:**\n  methods: every method") {
		t.Errorf("a file was not read: %+v", got)
	}
	if got := runCLI(".:a", "explain", "-"); got.Code != 0 || !strings.HasPrefix(got.Stdout, "# <stdin> (line 1): .:a\n") {
		t.Errorf("stdin was not read: %+v", got)
	}
}
