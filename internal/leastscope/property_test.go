package leastscope

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/scope"
)

// renderLog writes requests as a gateway logs them: serve's decision
// log, nginx's combined format under the mount /acme (escaping as nginx
// does), or JSON lines under it.
func renderLog(format accesslog.Format, reqs []scopegen.LogRequest) string {
	var b strings.Builder
	for i, r := range reqs {
		status := 200
		if !r.Allowed {
			status = 403
		}
		switch format {
		case accesslog.Serve:
			line, _ := json.Marshal(map[string]any{"time": fmt.Sprintf("2026-05-01T12:%02d:%02dZ", i/60%60, i%60), "level": "INFO",
				"msg": "decision", "method": r.Method, "target": "/acme" + r.Path, "path": r.Path, "allowed": r.Allowed, "client": r.Client})
			b.Write(line)
		case accesslog.Combined:
			user := r.Client
			if user == "" {
				user = "-"
			}
			fmt.Fprintf(&b, `192.0.2.1 - %s [01/May/2026:12:00:%02d +0000] "%s %s HTTP/1.1" %d 0 "-" "-"`, user, i%60, r.Method, nginxEscape("/acme"+r.Path), status)
		default:
			line, _ := json.Marshal(map[string]any{"method": r.Method, "uri": "/acme" + r.Path, "client": r.Client, "status": status})
			b.Write(line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// nginxEscape escapes as nginx's access log does: '"', '\', and bytes
// outside printable ASCII as \xHH.
func nginxEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F || c == '"' || c == '\\' {
			fmt.Fprintf(&b, `\x%02X`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// templates draws API operations whose templates are made of the log
// paths' pieces.
func templates() *rapid.Generator[[]Operation] {
	return rapid.Custom(func(t *rapid.T) []Operation {
		n := rapid.SampledFrom([]int{0, 3, 5, 8}).Draw(t, "operations")
		ops := make([]Operation, n)
		for i := range ops {
			// Most templates share their first segment, so that subtrees
			// hold several.
			segs := []string{rapid.SampledFrom([]string{"a", "a", "a", "config", "{id}"}).Draw(t, "first segment")}
			for k := rapid.SampledFrom([]int{0, 1, 1, 2}).Draw(t, "segments"); k > 0; k-- {
				segs = append(segs, rapid.SampledFrom([]string{"a", "b", "config", "c1", "{id}", "x{id}", "{a}.{b}"}).Draw(t, "segment"))
			}
			ops[i] = Operation{Method: rapid.SampledFrom([]string{"GET", "POST", "PUT", "DELETE"}).Draw(t, "method"), Template: "/" + strings.Join(segs, "/")}
		}
		return ops
	})
}

// TestSuggestionsAreProven holds every suggestion, on generated logs of
// every format, generated granted scopes, API descriptions and bounds
// small enough to be reached, to the oracle: each request the log says
// was allowed and the granted scope allows (and only those) counts as
// allowed; the suggestion allows each of them; and it lies within the
// granted scope, by Covers and on sampled requests by the oracle.
func TestSuggestionsAreProven(t *testing.T) {
	// Each way of making an item, by the start of its Why, and the
	// summaries past a bound: the generators must reach them all.
	reached := map[string]int{}
	kinds := []string{"as seen", "generalised:", "as seen: ", "granted item:", "the API's path", "every operation", "paths below", "summarised"}
	// Three runs of rapid's checks: a subtree every one of whose
	// operations was called is made in about one example in twenty, and
	// three hundred examples make one all but certain.
	for range 3 {
		rapid.Check(t, propertySuggestionsAreProven(reached, kinds))
	}
	t.Logf("items made, by kind: %v", reached)
	for _, k := range kinds {
		if reached[k] == 0 {
			t.Errorf("no generated log made an item %q: the property did not reach that way", k)
		}
	}
}

func propertySuggestionsAreProven(reached map[string]int, kinds []string) func(*rapid.T) {
	return func(t *rapid.T) {
		reqs := scopegen.LogRequests(30, 6).Draw(t, "requests")
		format := rapid.SampledFrom([]accesslog.Format{accesslog.Serve, accesslog.Combined, accesslog.JSON}).Draw(t, "format")
		opts := Options{
			GeneralizeAfter: rapid.SampledFrom([]int{1, 2, 5, -1}).Draw(t, "generalize after"),
			MaxValues:       rapid.SampledFrom([]int{1, 3, 1000}).Draw(t, "max values"),
			MaxPaths:        rapid.SampledFrom([]int{2, 6, 1000, 1000}).Draw(t, "max paths"),
			MaxClients:      rapid.SampledFrom([]int{1, 10, 10, 10}).Draw(t, "max clients"),
			API:             templates().Draw(t, "api"),
		}
		if format != accesslog.Serve {
			opts.StripSegments = 1
		}
		// Calls of the API's operations, so that templates and subtrees
		// are used.
		for _, op := range opts.API {
			if rapid.IntRange(0, 7).Draw(t, "skip operation") != 0 {
				path := op.Template
				for strings.Contains(path, "{") {
					i, j := strings.IndexByte(path, '{'), strings.IndexByte(path, '}')
					path = path[:i] + rapid.SampledFrom([]string{"c1", "c2", "x"}).Draw(t, "parameter") + path[j+1:]
				}
				reqs = append(reqs, scopegen.LogRequest{Client: "c1", Method: op.Method, Path: path, Allowed: true})
			}
		}
		if rapid.IntRange(0, 3).Draw(t, "granted") != 0 {
			// Generated items, and sometimes items that grant some of the
			// requests as they are, so that a generalisation can leave
			// the granted scope while the paths as seen do not.
			items := []string{scopegen.String(4, 6).Draw(t, "within"), rapid.SampledFrom([]string{"", "*:a/**", ".:a/**"}).Draw(t, "subtree")}
			for _, r := range reqs {
				if rapid.IntRange(0, 2).Draw(t, "grant as seen") == 0 && strings.HasPrefix(r.Path, "/") {
					it := rapid.SampledFrom([]string{".:", "*:"}).Draw(t, "class") + r.Path[1:]
					if _, err := scope.Parse(it); err == nil {
						items = append(items, it)
					}
				}
			}
			opts.Within, opts.HasWithin = scope.MustParse(strings.Join(items, " ")), true
		}
		// The combined format's $remote_user names a client only when
		// asked to; otherwise its requests are one group.
		remoteUser := rapid.Bool().Draw(t, "trust remote user")
		clientOf := func(r scopegen.LogRequest) string {
			if format == accesslog.Combined && !remoteUser {
				return ""
			}
			return r.Client
		}
		o := NewObserver(opts)
		if _, err := accesslog.Read(strings.NewReader(renderLog(format, reqs)), accesslog.Options{Format: format, Workers: 2, RemoteUser: remoteUser},
			func(rs []accesslog.Record) {
				for _, r := range rs {
					o.Add("log", r)
				}
			}); err != nil {
			t.Fatal(err)
		}
		rep := o.Suggest()
		if rep.Malformed != 0 {
			t.Fatalf("%d generated lines could not be read: %v", rep.Malformed, rep.MalformedExamples)
		}
		byName := map[string]Client{}
		for _, c := range rep.Clients {
			byName[c.Name] = c
			if !c.HasSuggestion {
				t.Fatalf("client %q: no suggestion: %+v", c.Name, c.Checks)
			}
			for _, it := range c.Items {
				for _, k := range kinds {
					if strings.HasPrefix(it.Why, k) {
						reached[k]++
					}
				}
			}
			if c.Summarised > 0 {
				reached["summarised"]++
			}
			if c.Allowed+c.Apart != c.Requests {
				t.Fatalf("client %q: %d allowed and %d apart of %d", c.Name, c.Allowed, c.Apart, c.Requests)
			}
			if opts.HasWithin {
				if ok, w := scope.Covers(opts.Within, c.Suggestion); !ok {
					t.Fatalf("client %q: %q is not within %q: %v", c.Name, c.Suggestion, opts.Within, w)
				}
				for range 5 {
					m := scopegen.Method().Draw(t, "sample method")
					p := scopegen.LogPath(5).Draw(t, "sample path")
					if oracle.Decide(c.Suggestion, m, p).Allowed && !oracle.Decide(opts.Within, m, p).Allowed {
						t.Fatalf("client %q: %q allows %s %s, which %q does not", c.Name, c.Suggestion, m, p, opts.Within)
					}
				}
			}
		}
		allowed := map[string]uint64{}
		for _, r := range reqs {
			r.Client = clientOf(r)
			c, ok := byName[r.Client]
			if !ok {
				continue // past the bound of clients
			}
			// The path decided on: serve's log holds it; the others hold
			// the whole target, whose mount segment is removed.
			path, ok := r.Path, true
			if format != accesslog.Serve {
				path, ok = oracle.Unmount(oracle.Mount{Segments: 1}, oracle.TargetPath("/acme"+r.Path))
			}
			if !ok || !r.Allowed || !oracle.Canonical(path) || !oracle.Grantable(r.Method) ||
				opts.HasWithin && !oracle.Decide(opts.Within, r.Method, path).Allowed {
				continue
			}
			if path == "/" || strings.Contains(path, "*") {
				// No item allows it alone: it is listed apart, never in
				// the suggestion.
				continue
			}
			allowed[r.Client]++
			if !oracle.Decide(c.Suggestion, r.Method, path).Allowed {
				t.Fatalf("client %q: %q does not allow %s %s, which was allowed", r.Client, c.Suggestion, r.Method, path)
			}
		}
		for name, c := range byName {
			if c.Allowed != allowed[name] {
				t.Fatalf("client %q: %d requests counted as allowed, want %d", name, c.Allowed, allowed[name])
			}
		}
	}
}
