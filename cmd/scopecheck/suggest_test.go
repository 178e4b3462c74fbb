package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
)

// TestSuggestGolden runs suggest on a log of each format (serve's, gzip
// too; nginx's combined; Caddy's JSON through a field mapping; stdin),
// with and without the API description and the granted scope, and
// compares stdout, stderr and the exit status with testdata/suggest.
func TestSuggestGolden(t *testing.T) {
	serveLog, err := os.ReadFile("testdata/suggest/serve.log")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"serve-api", "", []string{"--within-from", "testdata/suggest/policy.json", "--api", apiFile, "testdata/suggest/serve.log"}},
		{"serve-json", "", []string{"--format", "json", "--within-from", "testdata/suggest/policy.json", "--generalize-after", "1", "testdata/suggest/serve.log"}},
		{"serve-gzip", "", []string{"--client", "reviewer", "--within", ".:config/** openid", "testdata/suggest/serve.log.gz"}},
		{"serve-stdin", string(serveLog), []string{"--log", "serve", "--client", "hooks", "--fail-on", "warning", "-"}},
		{"combined", "", []string{"--strip-segments", "1", "--within", "*:config/** *:webhooks/**", "testdata/suggest/combined.log"}},
		{"combined-remote-user", "", []string{"--strip-segments", "1", "--trust-remote-user", "--within", "*:config/** *:webhooks/**", "testdata/suggest/combined.log"}},
		// Requests with a Basic header that nginx refused by itself (413:
		// a body too large, before it asked the gateway) or while the
		// gateway was down (503) are not requests the gateway allowed,
		// whoever $remote_user names.
		{"combined-refused-by-nginx", "", []string{"--strip-segments", "1", "--within", "*:config/**", "testdata/suggest/nginx-basic.log"}},
		{"combined-refused-by-nginx-remote-user", "", []string{"--strip-segments", "1", "--trust-remote-user", "--client", "reporter", "--within", "*:config/**", "testdata/suggest/nginx-basic.log"}},
		{"serve-fallback", "", []string{"--client", "reviewer", "--generalize-after", "1", "--within",
			".:config/clients .:config/clients/c1 .:config/clients/c2 .:config/tokenPolicies .:config/tokenPolicies/* openid", "testdata/suggest/serve.log"}},
		{"serve-bounds", "", []string{"--max-values", "1", "--max-paths", "12", "--max-clients", "3", "--within-from", "testdata/suggest/policy.json", "testdata/suggest/serve.log"}},
		// serve allowed these requests only because the scope allowed what
		// their sources mean too (X-Rewrite-URL, X-Original-URL, _method, a
		// method override): the suggestion allows that as well.
		{"serve-sources", "", []string{"--within", ".:config/** *:webhooks/**", "--api", apiFile, "testdata/suggest/sources.log"}},
		// A template's parameter as "*" would grant the literal paths
		// beside it (/items/export, /items/purge, /files/secret.json),
		// which the client never called: those stay as seen.
		{"serve-api-params", "", []string{"--within", "*:**", "--api", "testdata/suggest/items.openapi.yaml", "testdata/suggest/items.log"}},
		// A path holding "*", or the root, is allowed by serve but no item
		// allows it alone: listed apart, never written as a pattern, and
		// it excuses no operation of the API.
		{"serve-unwritable", "", []string{"--within", "*:**", "--api", apiFile, "testdata/suggest/unwritable.log"}},
		// With --fields only the members named are read: an allowed member
		// left out of the mapping does not make a 403 allowed; named, one
		// that disagrees with the status makes the line unreadable.
		{"json-fields-unmapped", "", []string{"--fields", "method=method,uri=uri,client=client,status=status", "--within", "*:**", "testdata/suggest/mapped.json"}},
		{"json-fields-disagree", "", []string{"--fields", "method=method,uri=uri,client=client,status=status,allowed=allowed", "--within", "*:**", "testdata/suggest/mapped.json"}},
		// A method override in the logged query is a request serve
		// decided too: GET /k?_method=DELETE needs *:config/k. Header
		// sources are not in these logs, and the first check says so.
		{"json-overrides", "", []string{"--log", "json", "--generalize-after", "-1", "--within", "*:**", "testdata/suggest/overrides.json"}},
		{"combined-overrides", "", []string{"--strip-segments", "1", "--within", ".:config/** *:config/k", "testdata/suggest/overrides.log"}},
		// The bounds of paths and memory are shared: a client that used
		// them up first leaves a later one's requests kept as patterns,
		// and the finding says how little of the bound that one held.
		{"serve-shared-bounds", "", []string{"--max-paths", "5", "--within", "*:config/** *:webhooks/**", "testdata/suggest/flood.log"}},
		{"caddy-json", "", []string{"--log", "json", "--fields", "method=request.method,uri=request.uri,time=ts,client=user_id,status=status",
			"--strip-segments", "1", "--api", apiFile, "testdata/suggest/caddy.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", "suggest", tc.name+".golden"), runCLI(tc.stdin, append([]string{"suggest"}, tc.args...)...))
		})
	}
}

func TestSuggestErrors(t *testing.T) {
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.log.gz")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	for range 2000 {
		w.Write([]byte(`{"method":"GET","uri":"/a"}` + "\n"))
	}
	w.Close()
	os.WriteFile(cut, z.Bytes()[:z.Len()-12], 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no log", []string{}, "scopecheck suggest: give at least one LOG (a file, or - for stdin)\n"},
		{"missing log", []string{"nope.log"}, "nope.log:1:1: open nope.log: no such file or directory; a LOG is a file, or - for stdin [unreadable]\n"},
		{"unknown format", []string{"--log", "apache", "x.log"}, "scopecheck suggest: unknown log format \"apache\": give auto, serve, combined or json\n"},
		{"bad fields", []string{"--fields", "verb=m", "x.log"}, "scopecheck suggest: field mapping \"verb=m\": \"verb=m\" is not KEY=NAME with KEY one of method, uri, client, time, status, allowed\n"},
		{"fields for another format", []string{"--log", "combined", "--fields", "method=m", "x.log"}, "scopecheck suggest: --fields is for --log json\n"},
		{"strip with serve", []string{"--log", "serve", "--strip-segments", "1", "x.log"}, "scopecheck suggest: --strip-segments is not for serve's log, which holds the path decided on\n"},
		{"stdin twice", []string{"--within-from", "-", "-"}, "scopecheck suggest: stdin (-) can be read only once\n"},
		{"both withins", []string{"--within", "*:a", "--within-from", "p.json", "x.log"}, "scopecheck suggest: give at most one of --within and --within-from\n"},
		{"bad status", []string{"--denied-status", "403,forbidden", "x.log"}, "scopecheck suggest: --denied-status \"403,forbidden\": \"forbidden\" is not an HTTP status or a range of them (200-299)\n"},
		{"bad range", []string{"--allowed-status", "299-200", "x.log"}, "scopecheck suggest: --allowed-status \"299-200\": \"299-200\" is not an HTTP status or a range of them (200-299)\n"},
		{"status both allowed and denied", []string{"--allowed-status", "200-403", "x.log"}, "scopecheck suggest: status 401 is in both --allowed-status and --denied-status\n"},
		{"generalize 0", []string{"--generalize-after", "0", "x.log"}, "scopecheck suggest: --strip-segments must be at least 0, --generalize-after at least 1 (or -1: never), and the bounds positive\n"},
		{"no work", []string{"--max-steps", "0", "x.log"}, "scopecheck suggest: --strip-segments must be at least 0, --generalize-after at least 1 (or -1: never), and the bounds positive\n"},
		{"no memory", []string{"--max-memory", "0", "x.log"}, ""},
		{"memory without a unit that parses", []string{"--max-memory", "-1GiB", "x.log"}, ""},
		{"damaged granted scope", []string{"--within", "*.**", "testdata/suggest/serve.log"}, "--within:1:1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"},
		{"damaged gzip", []string{cut}, cut + ":2001:1: cannot be read to its end, so no suggestion is made from it: after line 2000: unexpected EOF [unreadable]\n"},
		{"bad api", []string{"--api", "testdata/suggest/policy.json", "testdata/suggest/serve.log"}, ""},
		// A suggestion proved within the union of two policies could lie
		// in neither.
		{"several policies granted", []string{"--within-from", "testdata/lint/form-policies.json", "testdata/suggest/serve.log"},
			"testdata/lint/form-policies.json:3:36: holds the scopes of more than one token policy or token (/0/allowedScopes/0, and /1/allowedScopes/0): a token is granted within one, and their union could pass what no one of them allows; give an input that holds one [several-policies]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI("", append([]string{"suggest"}, tc.args...)...)
			if got.Code != exitUsage || got.Stdout != "" || tc.want != "" && got.Stderr != tc.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", got.Code, got.Stdout, got.Stderr, tc.want)
			}
		})
	}
}

// suggest's SARIF is a valid log whose results name their rules, and
// whose rules are lint's and suggest's; the JSON output holds the
// suggestion of each client, proved.
func TestSuggestSARIFAndJSON(t *testing.T) {
	args := []string{"suggest", "--within-from", "testdata/suggest/policy.json", "--api", apiFile, "testdata/suggest/serve.log"}
	sarif := runCLI("", append(args, "--format", "sarif")...)
	validateSARIF(t, []byte(sarif.Stdout))
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(sarif.Stdout), &log); err != nil || sarif.Code != exitYes {
		t.Fatalf("exit %d, %v", sarif.Code, err)
	}
	run := log.Runs[0]
	codes := map[string]int{}
	for _, r := range run.Results {
		codes[r.RuleID]++
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d", r.RuleID, r.RuleIndex)
		}
	}
	want := map[string]int{"least-scope": 3, "unused-item": 5, "unused-operation": 8, "listed-apart": 2, "scope-disagrees": 1, "unreadable-line": 1}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("results by code (-want +got):\n%s", diff)
	}

	out := runCLI("", append(args, "--format", "json")...)
	var doc struct {
		Clients []struct {
			Client     string
			Suggestion *string
			Checks     []struct {
				Name   string
				Passed bool
			}
		}
	}
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range doc.Clients {
		for _, ch := range c.Checks {
			if !ch.Passed {
				t.Errorf("%s: check %s failed", c.Client, ch.Name)
			}
		}
		if c.Suggestion != nil {
			got[c.Client] = *c.Suggestion
		}
	}
	wantSugg := map[string]string{
		"":              "openid",
		"hooks":         "*:webhooks/subscriptions *:webhooks/subscriptions/* openid",
		"policy-editor": "*:config/loginPolicies/*/allowedResponseTypes *:config/loginPolicies/*/pushClaims *:config/loginPolicies/lp1 openid",
		"reviewer":      ".:config/clients .:config/clients/* .:config/tokenPolicies .:config/tokenPolicies/* openid",
	}
	if diff := cmp.Diff(wantSugg, got); diff != "" {
		t.Errorf("suggestions (-want +got):\n%s", diff)
	}
}

// A progress bar is drawn only for a large regular file, and only when
// stderr is a terminal.
func TestProgressFor(t *testing.T) {
	dir := t.TempDir()
	big, small := filepath.Join(dir, "big"), filepath.Join(dir, "small")
	os.WriteFile(small, []byte("x"), 0o644)
	f, _ := os.Create(big)
	f.Truncate(progressMin)
	f.Close()
	stat := func(p string) os.FileInfo { fi, _ := os.Stat(p); return fi }
	saved := isTerminal
	defer func() { isTerminal = saved }()
	for _, tc := range []struct {
		name     string
		info     os.FileInfo
		terminal bool
		bar      bool
	}{
		{"large file, terminal", stat(big), true, true},
		{"large file, not a terminal", stat(big), false, false},
		{"small file", stat(small), true, false},
		{"stdin", nil, true, false},
		{"a directory", stat(dir), true, false},
	} {
		isTerminal = func(io.Writer) bool { return tc.terminal }
		var errb bytes.Buffer
		update, finish := progressFor(&errb, "log", tc.info)
		if (update != nil) != tc.bar {
			t.Errorf("%s: bar %v, want %v", tc.name, update != nil, tc.bar)
		}
		if update != nil {
			update(progressMin / 2)
			finish()
			if !strings.Contains(errb.String(), "log") {
				t.Errorf("%s: the bar drew %q", tc.name, errb.String())
			}
		}
	}
}

// The README's worked example is what the command prints, on the files
// under testdata/suggest.
func TestREADMELeastPrivilege(t *testing.T) {
	readme := readDoc(t, "../../README.md")
	const cmd = "$ scopecheck suggest --client policy-editor --within-from policy.json --api docs/identity-config.openapi.yaml decisions.log\n"
	start := strings.Index(readme, cmd)
	if start < 0 {
		t.Fatal("README.md has no worked example of suggest")
	}
	shown := readme[start+len(cmd):]
	shown = shown[:strings.Index(shown, "```")]
	got := runCLI("", "suggest", "--client", "policy-editor", "--within-from", "testdata/suggest/policy.json", "--api", apiFile, "testdata/suggest/serve.log")
	out := strings.NewReplacer("testdata/suggest/serve.log", "decisions.log", "testdata/suggest/", "").Replace(got.Stdout)
	if diff := cmp.Diff(shown, out); diff != "" || got.Code != exitYes {
		t.Errorf("exit %d; the README's example (-README +output):\n%s", got.Code, diff)
	}
}

// suggest's SARIF places a finding about a granted item at the item's
// column in UTF-16 code units, which SARIF counts in, and every region's
// startColumn is at least 1, also for a granted scope that cannot be read.
func TestSuggestSARIFColumns(t *testing.T) {
	dir := t.TempDir()
	line := `{"name": "Zoë's 🚀 policy", "allowedScopes": [".:config/**", "*:webhooks/**"]}`
	policy := filepath.Join(dir, "policy.json")
	logFile := filepath.Join(dir, "decisions.log")
	os.WriteFile(policy, []byte(line+"\n"), 0o644)
	os.WriteFile(logFile, []byte(`{"time":"2026-05-04T09:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/config/clients","path":"/config/clients","allowed":true,"reason":"granted","client":"c"}`+"\n"), 0o644)
	utf16Column := func(s, sub string) int {
		return len(utf16.Encode([]rune(s[:strings.Index(s, sub)]))) + 1
	}
	type region struct {
		StartLine, StartColumn int
	}
	results := func(out string) map[string][]region {
		var log struct {
			Runs []struct {
				Results []struct {
					RuleID    string `json:"ruleId"`
					Locations []struct {
						PhysicalLocation struct{ Region *region }
					}
				}
				Invocations []struct {
					ToolExecutionNotifications []struct {
						Locations []struct {
							PhysicalLocation struct{ Region *region }
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		got := map[string][]region{}
		for _, r := range log.Runs[0].Results {
			for _, l := range r.Locations {
				if l.PhysicalLocation.Region != nil {
					got[r.RuleID] = append(got[r.RuleID], *l.PhysicalLocation.Region)
				}
			}
		}
		for _, inv := range log.Runs[0].Invocations {
			for _, n := range inv.ToolExecutionNotifications {
				for _, l := range n.Locations {
					if l.PhysicalLocation.Region != nil {
						got["notification"] = append(got["notification"], *l.PhysicalLocation.Region)
					}
				}
			}
		}
		for code, rs := range got {
			for _, r := range rs {
				if r.StartLine < 1 || r.StartColumn < 1 {
					t.Errorf("%s: region %+v", code, r)
				}
			}
		}
		return got
	}
	out := runCLI("", "suggest", "--format", "sarif", "--within-from", policy, logFile)
	validateSARIF(t, []byte(out.Stdout))
	got := results(out.Stdout)
	if want := []region{{1, utf16Column(line, "*:webhooks/**")}}; !cmp.Equal(got["unused-item"], want) {
		t.Errorf("unused-item at %+v, want %+v (the byte column is %d)", got["unused-item"], want, strings.Index(line, "*:webhooks/**")+1)
	}
	if want := []region{{1, utf16Column(line, ".:config/**")}}; !cmp.Equal(got["least-scope"], want) {
		t.Errorf("least-scope at %+v, want %+v", got["least-scope"], want)
	}

	bad := `{"name": "Zoë's 🚀 policy", "allowedScopes": ["*.**"]}`
	os.WriteFile(policy, []byte(bad+"\n"), 0o644)
	out = runCLI("", "suggest", "--format", "sarif", "--within-from", policy, logFile)
	validateSARIF(t, []byte(out.Stdout))
	if got := results(out.Stdout); out.Code != exitUsage || len(got["missing-colon"]) != 1 || got["missing-colon"][0].StartColumn != utf16Column(bad, "*.**") {
		t.Errorf("exit %d, a damaged granted scope at %+v, want column %d", out.Code, got, utf16Column(bad, "*.**"))
	}
}

// The output grows with the suggestion once: each item is listed once,
// and its other forms (the scope string, the token policy fragment, the
// items added against the granted scope, the finding's message) are
// printed whole only when short, in text; in JSON the scope is written
// once and its items named by index. A review's log of 3,125 paths below
// a long prefix printed its suggestion four times over.
func TestSuggestOutputLinear(t *testing.T) {
	dir := t.TempDir()
	prefix := "/acme/" + strings.Repeat("p", 1000)
	var b strings.Builder
	n := 0
	for _, x := range "abcde" {
		for _, y := range "abcde" {
			for _, z := range "abcde" {
				for _, w := range "abcde" {
					fmt.Fprintf(&b, `192.0.2.1 - - [04/May/2026:09:00:01 +0000] "GET %s/%c/%c/%c/%c HTTP/1.1" 200 0 "-" "-"`+"\n", prefix, x, y, z, w)
					n++
				}
			}
		}
	}
	logFile := filepath.Join(dir, "wide.log")
	os.WriteFile(logFile, []byte(b.String()), 0o644)
	args := []string{"suggest", "--strip-segments", "1", "--max-memory", "256MiB", "--within", "*:**", logFile}
	var sugg string
	for _, format := range []string{"json", "text", "sarif"} {
		out := runCLI("", append(args, "--format", format)...)
		if out.Code != exitYes {
			t.Fatalf("%s: exit %d\n%s", format, out.Code, out.Stderr)
		}
		var limit int
		switch format {
		case "json":
			var doc struct {
				Clients []struct{ Suggestion *string }
			}
			if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || len(doc.Clients) != 1 || doc.Clients[0].Suggestion == nil {
				t.Fatalf("%v: %+v", err, doc)
			}
			sugg = *doc.Clients[0].Suggestion
			if items := strings.Count(sugg, " ") + 1; items != n {
				t.Fatalf("a suggestion of %d items, want the %d paths as seen", items, n)
			}
			limit = len(sugg) + 48*n + 64<<10
		case "text":
			limit = len(sugg) + 128*n + 64<<10
		default:
			limit = 256 << 10
		}
		if len(out.Stdout) > limit {
			t.Errorf("%s: %d bytes of output for a suggestion of %d bytes in %d items, more than %d", format, len(out.Stdout), len(sugg), n, limit)
		}
		t.Logf("%s: %d bytes of output for a suggestion of %d bytes", format, len(out.Stdout), len(sugg))
	}
}

// --max-input bounds the bytes of all the logs together after
// decompression: a small gzip member that expands past it, or a second
// log that passes what the first left, stops the run with too-large (exit
// 2) at the line the bound cuts, and no suggestion; logs of exactly the
// bound are read whole.
func TestSuggestMaxInput(t *testing.T) {
	const serveLog = "testdata/suggest/serve.log"
	info, err := os.Stat(serveLog)
	if err != nil {
		t.Fatal(err)
	}
	size := info.Size()
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.log.gz")
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(bytes.Repeat([]byte{'\n'}, 4<<20))
	w.Close()
	if err := os.WriteFile(bomb, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Code   int
		Stderr string
	}
	for _, tc := range []struct {
		name string
		args []string
		want result
	}{
		{"a gzip member expanding past the bound", []string{"--max-input", "1MiB", bomb},
			result{exitUsage, bomb + ":1048577:1: the logs are longer than the 1.0 MiB that --max-input lets suggest read in all (after decompression), so no suggestion is made from part of them [too-large]\n"}},
		{"the same under the default bound: read, and no request in it", []string{bomb}, result{exitNo, ""}},
		{"two logs of exactly the bound", []string{"--max-input", fmt.Sprint(2 * size), serveLog, serveLog}, result{exitYes, ""}},
		{"two logs one byte past it", []string{"--max-input", fmt.Sprint(2*size - 1), serveLog, serveLog},
			result{exitUsage, fmt.Sprintf("%s:%d:1: the logs are longer than the %s that --max-input lets suggest read in all (after decompression), so no suggestion is made from part of them [too-large]\n",
				serveLog, strings.Count(mustRead(t, serveLog), "\n"), sizeText(2*size-1))}},
		{"no bound", []string{"--max-input", "0", serveLog}, result{exitUsage, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI("", append([]string{"suggest", "--fail-on", "error"}, tc.args...)...)
			got := result{r.Code, r.Stderr}
			if tc.want.Stderr == "" {
				got.Stderr = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A log that gives no request is a finding, never a silent pass: a
// log/slog JSON log of another gateway, recognised as serve's by its
// time, level and msg, gives none, and --fields alone reads it as JSON
// lines; a serve log mostly of other lines is said to be so.
func TestSuggestLogGivesNoRequests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	slog := write("slog.json", `{"time":"2026-05-04T09:00:01Z","level":"INFO","msg":"request","method":"GET","uri":"/config/clients","status":200,"client":"c"}
{"time":"2026-05-04T09:00:02Z","level":"INFO","msg":"request","method":"DELETE","uri":"/config/clients/c1","status":204,"client":"c"}
`)
	chatty := write("chatty.log", `{"time":"2026-05-04T09:00:00Z","level":"INFO","msg":"listening"}
{"time":"2026-05-04T09:00:00Z","level":"INFO","msg":"keys loaded"}
{"time":"2026-05-04T09:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/config/a","path":"/config/a","allowed":true,"reason":"granted","client":"c"}
`)
	empty := write("empty.log", "")
	type result struct {
		Code  int
		Codes []string
	}
	for _, tc := range []struct {
		name string
		args []string
		want result
	}{
		{"another gateway's slog log", []string{slog}, result{exitNo, []string{"no-requests"}}},
		{"the same with --fields", []string{"--fields", "method=method,uri=uri,client=client,status=status", slog}, result{exitYes, []string{"least-scope"}}},
		{"an empty log", []string{empty}, result{exitNo, []string{"no-requests"}}},
		{"serve's log mostly of other lines", []string{chatty}, result{exitYes, []string{"least-scope", "skipped-lines"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI("", append([]string{"suggest", "--format", "json"}, tc.args...)...)
			var out struct {
				Findings []struct{ Code string } `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
				t.Fatalf("%v: %s %s", err, r.Stdout, r.Stderr)
			}
			got := result{Code: r.Code}
			for _, f := range out.Findings {
				got.Codes = append(got.Codes, f.Code)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The place where a bound was reached is written as a path: the root as
// "/", a long prefix clipped and quoted whole, never a "/" outside the
// quotes.
func TestBoundPlace(t *testing.T) {
	long := strings.Repeat("s", gateway.MaxLogField+10)
	for _, tc := range []struct{ name, where, want string }{
		{"the root", "", "/"},
		{"a prefix", "config/clients", "/config/clients"},
		{"a long prefix", long, strconv.Quote("/" + gateway.Clip(long))},
		{"a space", "a b", `"/a b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := boundPlace(tc.where); got != tc.want {
				t.Errorf("boundPlace(%q) = %s, want %s", tc.where, got, tc.want)
			}
		})
	}
}
