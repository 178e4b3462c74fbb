package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/scope"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// checkGolden compares a run's stdout, stderr and exit status with a
// golden file, or rewrites the file with -update (read the diff before
// committing it).
func checkGolden(t *testing.T, golden string, got cliResult) {
	t.Helper()
	text := got.Stdout + got.Stderr + "exit " + string(rune('0'+got.Code)) + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/scopecheck -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), text); diff != "" {
		t.Errorf("%s (-golden +got):\n%s", golden, diff)
	}
}

// TestLintGolden runs "scopecheck lint" on each input under testdata/lint
// (one per finding code, one per input form, each with a case that must
// not fire) and compares stdout and the exit status with NAME.golden.
func TestLintGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/lint/*.*")
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			checkGolden(t, strings.TrimSuffix(in, filepath.Ext(in))+".golden", runCLI("", "lint", "--fail-on", "warning", in))
		})
	}
	if n < 18 {
		t.Errorf("only %d golden inputs found", n)
	}
}

func TestLintFailOn(t *testing.T) {
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"error", 0}, {"warning", 1}, {"info", 1}} {
		got := runCLI("", "lint", "--fail-on", tc.failOn, "--scope", "*:config/tokenPolicies**")
		if got.Code != tc.code {
			t.Errorf("--fail-on %s: exit %d, want %d", tc.failOn, got.Code, tc.code)
		}
	}
	if got := runCLI("", "lint", "--scope", "*:config/**"); got.Code != 0 || got.Stdout != "" {
		t.Errorf("a clean scope gave %+v", got)
	}
}

func TestLintInputErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want cliResult
	}{
		{"malformed input is a finding, the others are linted", []string{"lint", "--scope", "*:**", "testdata/lint/bad-unquoted.json"},
			cliResult{2, "--scope:1:1: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]\n" +
				"testdata/lint/bad-unquoted.json:2:21: error: invalid JSON at /allowedScopes/0: invalid character '*' at start of value [malformed]\n", ""}},
		{"missing file", []string{"lint", "testdata/lint/nope.json", "testdata/lint/code-super-admin.txt"},
			cliResult{2, "testdata/lint/nope.json:1:1: error: open testdata/lint/nope.json: no such file or directory; to give a scope string rather than a file, use --scope [unreadable]\n" +
				"testdata/lint/code-super-admin.txt:2:1: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]\n", ""}},
		{"unusable API description", []string{"lint", "--api", "testdata/lint/form-text.txt", "--scope", "*:a"},
			cliResult{2, "testdata/lint/form-text.txt:1:1: error: the API description cannot be used, so no-operation is not reported: failed to unmarshal data: json error: invalid character '#' looking for beginning of value, yaml error: error converting YAML to JSON: yaml: line 2: did not find expected alphabetic or numeric character [unreadable]\n", ""}},
		{"no input", []string{"lint"}, cliResult{2, "", "scopecheck lint: give --scope or at least one INPUT\n"}},
		{"stdin twice", []string{"lint", "-", "-"}, cliResult{2, "", "scopecheck lint: stdin (-) can be read only once\n"}},
		{"bad format", []string{"lint", "--format", "xml", "--scope", "x"}, cliResult{2, "", "scopecheck lint: --format must be text, json or sarif, not \"xml\"\n"}},
		{"bad fail-on", []string{"lint", "--fail-on", "fatal", "--scope", "x"}, cliResult{2, "", "scopecheck lint: --fail-on must be error, warning or info, not \"fatal\"\n"}},
		{"bad fail-on, json", []string{"lint", "--format", "json", "--fail-on", "fatal", "--scope", "x"},
			cliResult{2, `{"errors":[{"code":"usage","message":"scopecheck lint: --fail-on must be error, warning or info, not \"fatal\""}]}` + "\n", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI("", tc.args...)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLintStdinAndJSON(t *testing.T) {
	got := runCLI(`{"allowedScopes": ["*:a *:a"]}`, "lint", "--format", "json", "-")
	var out struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(got.Stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got.Stdout)
	}
	// offset is in the input, as line and column are; scopeOffset and the
	// fix are in the scope string, which where names.
	want := []map[string]any{{"file": "<stdin>", "line": 1.0, "column": 25.0, "offset": 24.0, "where": "/allowedScopes/0", "scopeOffset": 4.0,
		"item": "*:a", "code": "duplicate", "severity": "warning", "message": "item *:a repeats item 1 (column 1) and adds nothing; remove it",
		"suggestion": "*:a", "fix": map[string]any{"offset": 3.0, "end": 7.0, "text": ""}, "relation": "equal"}}
	if diff := cmp.Diff(want, out.Findings); diff != "" || got.Code != 0 {
		t.Errorf("exit %d, findings (-want +got):\n%s", got.Code, diff)
	}
	if got := runCLI("", "lint", "--format", "json", "--scope", "*:a"); got.Stdout != "{\n  \"findings\": []\n}\n" {
		t.Errorf("no findings gave %q", got.Stdout)
	}
}

// TestLintSARIF checks the SARIF output against what the SARIF 2.1.0
// schema requires of the parts scopecheck writes: version and schema,
// a run whose driver has a name and rules with ids and help text, and
// results whose ruleId and ruleIndex name a rule, whose level is one of
// SARIF's, and whose message and physical location are set. (The schema
// file itself is in no registry this project reaches, so the check is
// written out.)
func TestLintSARIF(t *testing.T) {
	got := runCLI("", "lint", "--format", "sarif", "testdata/lint/form-policies.json", "testdata/lint/form-jwt.txt")
	var log struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex *int   `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	dec := json.NewDecoder(strings.NewReader(got.Stdout))
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif") || len(log.Runs) != 1 {
		t.Fatalf("version %q, schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	if run.Tool.Driver.Name != "scopecheck" || len(rules) < 20 {
		t.Fatalf("driver %q with %d rules", run.Tool.Driver.Name, len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.ID == "" || r.Help.Text == "" || r.ShortDescription.Text == "" || seen[r.ID] {
			t.Errorf("rule %+v lacks an id or help, or repeats", r)
		}
		seen[r.ID] = true
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	if len(run.Results) != 4 {
		t.Errorf("%d results, want 4", len(run.Results))
	}
	for _, res := range run.Results {
		if res.RuleIndex == nil || *res.RuleIndex >= len(rules) || rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %q has a ruleIndex that does not name its rule", res.RuleID)
		}
		if !levels[res.Level] || res.Message.Text == "" || len(res.Locations) != 1 {
			t.Errorf("result %+v lacks a level, message or location", res)
			continue
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URI == "" || pl.Region.StartLine < 1 || pl.Region.StartColumn < 1 {
			t.Errorf("result %q has location %+v", res.RuleID, pl)
		}
	}
}

// TestLintSARIFSchema validates the SARIF output against the SARIF 2.1.0
// JSON schema: with findings, with none, with an input that is malformed
// and one that does not exist, and after a usage error (a log even then).
func TestLintSARIFSchema(t *testing.T) {
	if os.Getenv("SARIF_SCHEMA") == "" {
		t.Skip("SARIF_SCHEMA is not set; .ci/run fetches the SARIF 2.1.0 schema and sets it")
	}
	for _, args := range [][]string{
		{"lint", "--format", "sarif", "testdata/lint/form-policies.json", "testdata/lint/form-jwt.txt", "testdata/lint/code-parse-errors.txt"},
		{"lint", "--format", "sarif", "--scope", "*:config/**"}, // no results
		{"lint", "--format", "sarif", "testdata/lint/bad-unquoted.json", "testdata/lint/nope.json", "testdata/lint/form-policy.json"},
		{"lint", "--format", "sarif", "--fail-on", "fatal", "--scope", "*:a"},
	} {
		t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
			got := runCLI("", args...)
			validateSARIF(t, []byte(got.Stdout))
		})
	}
}

// A malformed input is a result at its position and a tool execution
// notification, and the run says it was not wholly successful.
func TestLintSARIFNotifications(t *testing.T) {
	got := runCLI("", "lint", "--format", "sarif", "testdata/lint/bad-unquoted.json", "testdata/lint/form-policy.json")
	var log sarifLog
	if err := json.Unmarshal([]byte(got.Stdout), &log); err != nil || got.Code != exitUsage {
		t.Fatalf("exit %d, %v:\n%s", got.Code, err, got.Stdout)
	}
	var rules []string
	for _, r := range log.Runs[0].Results {
		rules = append(rules, r.Locations[0].PhysicalLocation.ArtifactLocation.URI+" "+r.RuleID)
	}
	dir := uriDir(t)
	want := []string{dir + "testdata/lint/bad-unquoted.json malformed", dir + "testdata/lint/form-policy.json prefix-bleed"}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	inv := log.Runs[0].Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
		inv[0].ToolExecutionNotifications[0].Message.Text != "invalid JSON at /allowedScopes/0: invalid character '*' at start of value" {
		t.Errorf("invocations: %+v", inv)
	}
	clean := runCLI("", "lint", "--format", "sarif", "testdata/lint/form-policy.json")
	var ok sarifLog
	if err := json.Unmarshal([]byte(clean.Stdout), &ok); err != nil || len(ok.Runs[0].Invocations) != 1 || !ok.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Errorf("a run that read every input: %v %+v", err, ok.Runs)
	}
}

// uriDir is what SARIF artifact URIs of files in this directory begin
// with: its path from the repository root.
func uriDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(repoRoot(), wd)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel) + "/"
}

// A finding whose example the matcher decides otherwise is withheld and
// reported as a defect, never printed as advice.
func TestCheckExamples(t *testing.T) {
	good := scope.Lint("*:config/client*")[0]
	if got := checkExamples(good); got.Code != scope.PrefixBleed || got.Suggestion == "" {
		t.Errorf("a proven finding was withheld: %+v", got)
	}
	// The advice the review once printed: "also matches /config/clientX".
	bad := good
	bad.Examples = []scope.Example{{Scope: "*:config/client*/secret", Method: "GET", Path: "/config/clientX", Allowed: true}}
	got := checkExamples(bad)
	want := scope.Finding{Code: scope.Internal, Severity: scope.SeverityError, Offset: bad.Offset, Column: bad.Column, Item: bad.Item,
		Message: "a prefix-bleed finding says *:config/client*/secret allows GET /config/clientX, which the matcher does not; the finding is withheld: report this as a defect"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkExamples (-want +got):\n%s", diff)
	}
}

// A FIFO, a directory or a device among the inputs is an unreadable
// finding, found without waiting on it, and the other inputs are linted.
func TestLintNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan cliResult, 1)
	go func() { done <- runCLI("", "lint", "testdata/lint/code-super-admin.txt", fifo, dir, "/dev/null") }()
	var got cliResult
	select {
	case got = <-done:
	case <-time.After(time.Minute):
		t.Fatal("lint blocked on a FIFO")
	}
	want := "testdata/lint/code-super-admin.txt:2:1: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]\n" +
		fifo + ":1:1: error: " + fifo + " is not a regular file (a FIFO), so it is not read [unreadable]\n" +
		dir + ":1:1: error: " + dir + " is not a regular file (a directory), so it is not read [unreadable]\n" +
		"/dev/null:1:1: error: /dev/null is not a regular file (a character device), so it is not read [unreadable]\n"
	if diff := cmp.Diff(cliResult{exitUsage, want, ""}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Findings that some of an input was not read or linted make the exit
// status 2 and a SARIF notification wherever in the input they are: a
// JWT that does not decode, a policy in an array that is not one.
func TestLintIncompleteInputs(t *testing.T) {
	for _, in := range []string{"testdata/lint/bad-jwt.txt", "testdata/lint/form-policies-unknown-element.json"} {
		got := runCLI("", "lint", "--format", "sarif", in)
		var log sarifLog
		if err := json.Unmarshal([]byte(got.Stdout), &log); err != nil || got.Code != exitUsage {
			t.Fatalf("%s: exit %d, %v", in, got.Code, err)
		}
		if inv := log.Runs[0].Invocations; len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 {
			t.Errorf("%s: invocations %+v", in, inv)
		}
	}
}

// SARIF names files relative to the repository root, percent-encoded,
// counts columns in UTF-16 code units, and carries each fix: as a SARIF
// fix where the file can be edited in place, and with its relation in the
// result's properties and message.
func TestLintSARIFLocations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	team := write("team#1.json", `{"allowedScopes": ["*:webhooks/"]}`)
	spaced := write("a b%zz.json", `{"name":"Équipe ☃☃☃","allowedScopes":["*:**"]}`)
	escaped := write("escaped.json", `{"allowedScopes": ["\u002a:x/ *:webhooks/"]}`)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	got := runCLI("", "lint", "--format", "sarif", team, spaced, escaped)
	validateSARIF(t, []byte(got.Stdout))
	var log struct {
		Runs []struct {
			ColumnKind         string `json:"columnKind"`
			OriginalURIBaseIDs map[string]struct {
				URI string `json:"uri"`
			} `json:"originalUriBaseIds"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region struct{ StartLine, StartColumn int }
					} `json:"physicalLocation"`
				} `json:"locations"`
				Fixes []struct {
					ArtifactChanges []struct {
						Replacements []struct {
							DeletedRegion   struct{ StartLine, StartColumn, EndLine, EndColumn int }
							InsertedContent struct{ Text string }
						}
					}
				}
				Properties map[string]any `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(got.Stdout), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.ColumnKind != "utf16CodeUnits" || !strings.HasPrefix(run.OriginalURIBaseIDs["%SRCROOT%"].URI, "file:///") {
		t.Errorf("columnKind %q, base %+v", run.ColumnKind, run.OriginalURIBaseIDs)
	}
	type result struct {
		Rule, URI, Base string
		Line, Column    int
		Fixes           int
		Relation        any
	}
	var results []result
	for _, r := range run.Results {
		l := r.Locations[0].PhysicalLocation
		results = append(results, result{r.RuleID, l.ArtifactLocation.URI, l.ArtifactLocation.URIBaseID, l.Region.StartLine, l.Region.StartColumn, len(r.Fixes), r.Properties["relation"]})
	}
	want := []result{
		{"trailing-slash", "team%231.json", "%SRCROOT%", 1, 21, 1, "wider"},
		{"super-admin", "a%20b%25zz.json", "%SRCROOT%", 1, 40, 0, nil},
		// An edit across an escape cannot be made in place: no SARIF fix,
		// but the fix and its relation are in the properties.
		{"trailing-slash", "escaped.json", "%SRCROOT%", 1, 21, 0, "wider"},
		{"trailing-slash", "escaped.json", "%SRCROOT%", 1, 31, 1, "wider"},
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	fix := run.Results[0].Fixes[0].ArtifactChanges[0].Replacements[0]
	if fix.DeletedRegion.StartLine != 1 || fix.DeletedRegion.StartColumn != 21 || fix.DeletedRegion.EndColumn != 32 || fix.InsertedContent.Text != "*:webhooks/**" {
		t.Errorf("fix %+v", fix)
	}
	if msg := run.Results[0].Message.Text; !strings.HasSuffix(msg, "(suggestion (wider): *:webhooks/**)") {
		t.Errorf("message %q does not say the suggestion and its relation", msg)
	}
}

// The review's inputs that made lint's output and memory grow with the
// square of the input: each gives a bounded output now.
func TestLintOutputBounded(t *testing.T) {
	dir := t.TempDir()
	var spaced []string
	for i := 0; i < 4000; i++ {
		spaced = append(spaced, fmt.Sprintf("p%d", i))
	}
	near := strings.TrimSpace(strings.Repeat("*:a/** ", scope.MaxLintItems))
	inputs := map[string]string{
		"dups.txt":   strings.Repeat("*:a/** ", 10_000) + "\n",
		"spaced.txt": strings.Join(spaced, "  ") + "\n",
		"array.json": `{"allowedScopes":["a"` + strings.Repeat(`,"a"`, 500_000) + `]}`,
		"near.txt":   strings.Repeat(near+"\n", 20),
	}
	for name, text := range inputs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"text", "json", "sarif"} {
			got := runCLI("", "lint", "--format", format, p)
			if got.Code != exitUsage || !strings.Contains(got.Stdout, "too-large") {
				t.Errorf("%s, %s: exit %d, no too-large finding", name, format, got.Code)
			}
			if limit := 2<<20 + 4*len(text); len(got.Stdout) > limit {
				t.Errorf("%s, %s: %d bytes of output for %d of input", name, format, len(got.Stdout), len(text))
			}
		}
	}
}
