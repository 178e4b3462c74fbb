package fuzz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/internal/leastscope"
	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/scope"
)

// FuzzAccessLog: reading any bytes as a log, in every format, never
// panics, accounts for every line once and in order, and whatever
// suggest makes of the requests is proved: each request the log allowed
// and the granted scope allows is allowed by the client's suggestion
// (decided by the oracle), which lies within the granted scope.
func FuzzAccessLog(f *testing.F) {
	for _, s := range []string{
		`{"time":"2026-05-04T09:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/acme/config/clients","path":"/config/clients","allowed":true,"reason":"granted","client":"reviewer"}` + "\n",
		`{"time":"2026-05-04T09:00:01Z","level":"INFO","msg":"decision","method":"PUT","path":"/config/a*b/","allowed":true,"client":"c"}` + "\n" +
			`{"time":"2026-05-04T09:00:02Z","level":"INFO","msg":"decision","method":"GET","path":"/","allowed":true,"client":"c"}`,
		`192.0.2.1 - svc [04/May/2026:09:00:01 +0000] "DELETE /acme/webhooks/s1?x=1 HTTP/1.1" 204 0 "-" "-"` + "\n" +
			`192.0.2.1 - - [04/May/2026:09:00:02 +0000] "GET /acme/x\x22y HTTP/1.1" 403 0 "-" "-"`,
		`{"method":"GET","uri":"http://api/acme/config/x","client":"k","status":"200"}` + "\n" + `{"method":"GET","uri":"/a","allowed":false}`,
		"\x1f\x8b\x08\x00\x00\x00\x00\x00",
		"\n\n\r\n{}\n[",
	} {
		f.Add([]byte(s), ".:config/** *:webhooks/** openid")
	}
	f.Fuzz(func(t *testing.T, data []byte, granted string) {
		// A short granted scope: containment of long adversarial
		// wildcard scopes is FuzzCovers' to explore, and slow here.
		if len(granted) > 48 {
			granted = granted[:48]
		}
		within, err := scope.Parse(granted)
		if err != nil {
			within = scope.MustParse("*:**")
		}
		for _, format := range []accesslog.Format{accesslog.Auto, accesslog.Serve, accesslog.Combined, accesslog.JSON} {
			o := leastscope.NewObserver(leastscope.Options{Within: within, HasWithin: true, GeneralizeAfter: 2, MaxPaths: 50, MaxValues: 4})
			type req struct{ client, method, path string }
			var allowed []req
			last := int64(0)
			var counted accesslog.Stats
			st, err := accesslog.Read(bytes.NewReader(data), accesslog.Options{Format: format, MaxLine: 4096}, func(rs []accesslog.Record) {
				for _, r := range rs {
					if r.Line <= last {
						t.Fatalf("line %d after line %d", r.Line, last)
					}
					last = r.Line
					switch r.Outcome {
					case accesslog.Malformed:
						counted.Malformed++
					case accesslog.Allowed:
						counted.Records++
						p := r.Path
						if !r.HasPath {
							p = oracle.TargetPath(r.Target)
						}
						// A path no item allows alone (one holding "*", the
						// root) is listed apart, never in a suggestion.
						unwritable := p == "/" || strings.Contains(p, "*")
						if oracle.Canonical(p) && oracle.Grantable(r.Method) && oracle.Decide(within, r.Method, p).Allowed && !unwritable {
							allowed = append(allowed, req{strings.Clone(r.Client), strings.Clone(r.Method), strings.Clone(p)})
						}
					default:
						counted.Records++
					}
					o.Add("log", r)
				}
			})
			if err != nil {
				continue // a gzip stream that is damaged: an error, not a panic
			}
			if st.Records != counted.Records || st.Malformed != counted.Malformed || st.Lines != st.Records+st.Malformed+st.Skipped || last > st.Lines {
				t.Fatalf("%v: stats %+v, counted %+v, last line %d", format, st, counted, last)
			}
			rep := o.Suggest()
			byName := map[string]leastscope.Client{}
			for _, c := range rep.Clients {
				if !c.HasSuggestion {
					t.Fatalf("%v: client %q: no suggestion: %+v", format, c.Name, c.Checks)
				}
				if ok, w := scope.Covers(within, c.Suggestion); !ok {
					t.Fatalf("%v: client %q: %q is not within %q: %v", format, c.Name, c.Suggestion, within, w)
				}
				byName[c.Name] = c
			}
			for _, r := range allowed {
				if c, ok := byName[r.client]; ok && !oracle.Decide(c.Suggestion, r.method, r.path).Allowed {
					t.Fatalf("%v: client %q: %q does not allow %s %s", format, r.client, c.Suggestion, r.method, r.path)
				}
			}
		}
	})
}
