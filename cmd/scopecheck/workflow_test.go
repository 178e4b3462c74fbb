package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// goRun is how the README's workflow runs scopecheck.
const goRun = "go run github.com/scopecheck/scopecheck/cmd/scopecheck@latest"

// buildCLI builds the command into dir, as a user's "go install" would.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "scopecheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestREADMEWorkflow runs the code-scanning workflow of the README, its
// steps as written there (with the built command for "go run ...@latest"),
// in a checkout whose policies directory holds one malformed file among
// good ones: the SARIF log it uploads is valid and holds the malformed
// file's error and every other file's findings, and the gate step fails.
func TestREADMEWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, line := range strings.Split(string(readme), "\n") {
		if _, step, ok := strings.Cut(line, "- run: "); ok && strings.HasPrefix(step, goRun) {
			steps = append(steps, step)
		}
	}
	if len(steps) != 2 || !strings.Contains(steps[0], "--format sarif") {
		t.Fatalf("the README's workflow steps are not the two expected: %q", steps)
	}
	dir := t.TempDir()
	bin := buildCLI(t, dir)
	policies := map[string]string{
		"good.json": `{"name": "reviewers", "allowedScopes": ["*:config/tokenPolicies**", ".:config/clients"]}`,
		// The language reference's policy example as once published: the
		// scope is not quoted, so the file is not JSON.
		"seed.json":  "{\n  \"allowedScopes\": [*:webhooks/]\n}\n",
		"admin.json": `[{"allowedScopes": ["*:**"]}, {"allowedScopes": [".:config/**"]}]`,
	}
	if err := os.Mkdir(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range policies {
		if err := os.WriteFile(filepath.Join(dir, "policies", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sh := func(step string) (string, int) {
		cmd := exec.Command("bash", "-c", strings.Replace(step, goRun, bin, 1))
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	if out, code := sh(steps[0]); code != 0 || out != "" {
		t.Fatalf("the SARIF step: exit %d, output %q", code, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "scopes.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, data)
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		got = append(got, l.ArtifactLocation.URI+" "+r.RuleID+" "+r.Level)
	}
	want := []string{
		"policies/admin.json super-admin warning",
		"policies/good.json prefix-bleed warning",
		"policies/seed.json malformed error",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	inv := log.Runs[0].Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
		inv[0].ToolExecutionNotifications[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "policies/seed.json" {
		t.Errorf("invocations %+v, want one, unsuccessful, with a notification for policies/seed.json", inv)
	}

	out, code := sh(steps[1])
	if code == 0 {
		t.Errorf("the gate step passed:\n%s", out)
	}
	for _, name := range []string{"admin.json", "good.json", "seed.json"} {
		if !strings.Contains(out, "policies/"+name+":") {
			t.Errorf("the gate step's output does not name %s:\n%s", name, out)
		}
	}
}

// sarifLog is the part of a SARIF log that the tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Results []struct {
			RuleID    string          `json:"ruleId"`
			Level     string          `json:"level"`
			Locations []sarifLocation `json:"locations"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level     string          `json:"level"`
				Locations []sarifLocation `json:"locations"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
}

// validateSARIF validates a log against the SARIF 2.1.0 JSON schema, which
// .ci/run fetches from the npm registry (it ships in the
// @microsoft/jest-sarif package) and names in SARIF_SCHEMA.
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	path := os.Getenv("SARIF_SCHEMA")
	if path == "" {
		t.Log("SARIF_SCHEMA is not set; .ci/run fetches the SARIF 2.1.0 schema and sets it")
		return
	}
	schemaFile, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("SARIF does not validate: %v", err)
	}
}

// The version line says what the build recorded; a built binary names the
// revision it was built from when the build stamped one.
func TestVersion(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/scopecheck/scopecheck", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "0e2fafe"}, {Key: "vcs.time", Value: "2026-11-23T06:36:48Z"}}}
	for _, tc := range []struct {
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{info, true, "scopecheck v1.4.0 (revision 0e2fafe, 2026-11-23T06:36:48Z, modified) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, true, "scopecheck (devel) (revision abc) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8"}, true, "scopecheck (unknown) go1.26.8"},
		{nil, false, "scopecheck: the binary has no build information"},
	} {
		if got := versionLine(tc.info, tc.ok); got != tc.want {
			t.Errorf("versionLine = %q, want %q", got, tc.want)
		}
	}
	if testing.Short() {
		return
	}
	out, err := exec.Command(buildCLI(t, t.TempDir()), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(out))
	// Stamped (a clone, VCS stamping on): a pseudo-version; else (devel).
	if !strings.HasPrefix(line, "scopecheck (devel)") && !versionPattern.MatchString(line) {
		t.Errorf("a binary built in the checkout says %q", line)
	}
	if _, rev, ok := strings.Cut(line, "(revision "); ok {
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err == nil && !strings.HasPrefix(rev, strings.TrimSpace(string(head))) {
			t.Errorf("version %q does not name HEAD %s", line, head)
		}
	}
}
