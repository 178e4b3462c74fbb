package accesslog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readAll reads a log and returns its records, copied out of the blocks.
func readAll(t *testing.T, log string, opts Options) ([]Record, Stats) {
	t.Helper()
	var out []Record
	st, err := Read(strings.NewReader(log), opts, func(rs []Record) {
		for _, r := range rs {
			r.Method, r.Target, r.Path, r.Client, r.Reason = strings.Clone(r.Method), strings.Clone(r.Target), strings.Clone(r.Path), strings.Clone(r.Client), strings.Clone(r.Reason)
			srcs := r.Sources
			r.Sources = nil
			for _, x := range srcs {
				r.Sources = append(r.Sources, Source{strings.Clone(x.Name), strings.Clone(x.Method), x.AnyMethod, strings.Clone(x.Target)})
			}
			out = append(out, r)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func nano(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		log  string
		want []Record
		st   Stats
	}{
		{"serve", Options{}, `{"time":"2026-05-01T12:00:00.5Z","level":"INFO","msg":"listening","addr":"127.0.0.1:8181"}
{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/acme/config/clients?x=1","path":"/config/clients","allowed":true,"reason":"granted","item":".:config/**","client":"reviewer"}
{"time":"2026-05-01T12:00:02Z","level":"INFO","msg":"decision","method":"PUT","target":"/acme/config/clients/c1","path":"/config/clients/c1","allowed":false,"reason":"read-only","client":"reviewer"}
{"time":"2026-05-01T12:00:03Z","level":"INFO","msg":"decision","method":"GET","target":"/acme/x","path":"","allowed":false,"reason":"no-token"}

{"time":"2026-05-01T12:00:04Z","level":"INFO","msg":"decision","method":"GET","target":"/a\u002fb","path":"/a\\b","allowed":true,"reason":"granted","client":"c\"2"}
{"time":"2026-05-01T12:00:05Z","level":"INFO","msg":"decision","target":"/x","allowed":true}
{"time":"2026-05-01T12:00:06Z","level":"INFO","msg":"decision","method":"GET","allowed":"yes"}
{"time":"2026-05-01T12:00:07Z","level":"INFO","msg":"decision","method":"GET","method":"PUT","allowed":true}
{"msg":"decision"} {}
`, []Record{
			{Line: 2, Method: "GET", Target: "/acme/config/clients?x=1", Path: "/config/clients", HasPath: true, Client: "reviewer", Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed, Reason: "granted"},
			{Line: 3, Method: "PUT", Target: "/acme/config/clients/c1", Path: "/config/clients/c1", HasPath: true, Client: "reviewer", Time: nano("2026-05-01T12:00:02Z"), Outcome: Denied, Reason: "read-only"},
			{Line: 4, Method: "GET", Target: "/acme/x", HasPath: true, Time: nano("2026-05-01T12:00:03Z"), Outcome: Denied, Reason: "no-token"},
			{Line: 6, Method: "GET", Target: "/a/b", Path: `/a\b`, HasPath: true, Client: `c"2`, Time: nano("2026-05-01T12:00:04Z"), Outcome: Allowed, Reason: "granted"},
			{Line: 7, Outcome: Malformed, Reason: "a decision line without a method string"},
			{Line: 8, Outcome: Malformed, Reason: "a decision line without a boolean allowed"},
			{Line: 9, Outcome: Malformed, Reason: `invalid JSON: jsontext: duplicate object member name "method"`},
			{Line: 10, Outcome: Malformed, Reason: "more than one JSON value on the line"},
		}, Stats{Format: Serve, Lines: 10, Records: 4, Malformed: 4, Skipped: 2}},

		{"combined", Options{RemoteUser: true}, `192.0.2.7 - - [01/May/2026:12:00:01 +0200] "GET /acme/config/clients?limit=5 HTTP/1.1" 200 512 "-" "curl/8.5.0"
192.0.2.7 - svc-7 [01/May/2026:12:00:02 +0200] "DELETE /acme/webhooks/s1 HTTP/1.1" 403 0 "-" "curl/8.5.0"
192.0.2.8 - - [01/May/2026:12:00:03 +0200] "GET /a\x22b\x5C HTTP/1.1" 401 0 "-" "-"
192.0.2.8 - - [01/May/2026:12:00:04 +0200] "\x16\x03\x01" 400 157 "-" "-"
192.0.2.8 - - [01/May/2026:12:00:05 +0200] "GET /old" 200 3
192.0.2.9 - alice [01/May/2026:12:00:06 +0200] "GET /a\"b HTTP/1.0" 200 3 "-" "-"
not a log line
192.0.2.9 - - [01/May/2026:12:00:07 +0200] "GET /x HTTP/1.1" abc 3
`, []Record{
			{Line: 1, Method: "GET", Target: "/acme/config/clients?limit=5", Time: nano("2026-05-01T12:00:01+02:00"), Outcome: Allowed, Reason: "200"},
			{Line: 2, Method: "DELETE", Target: "/acme/webhooks/s1", Client: "svc-7", Time: nano("2026-05-01T12:00:02+02:00"), Outcome: Denied, Reason: "403"},
			{Line: 3, Method: "GET", Target: `/a"b\`, Time: nano("2026-05-01T12:00:03+02:00"), Outcome: Denied, Reason: "401"},
			{Line: 4, Target: "\x16\x03\x01", Time: nano("2026-05-01T12:00:04+02:00"), Outcome: Unknown, Reason: "400"},
			{Line: 5, Method: "GET", Target: "/old", Time: nano("2026-05-01T12:00:05+02:00"), Outcome: Allowed, Reason: "200"},
			{Line: 6, Method: "GET", Target: `/a"b`, Client: "alice", Time: nano("2026-05-01T12:00:06+02:00"), Outcome: Allowed, Reason: "200"},
			{Line: 7, Outcome: Malformed, Reason: "not a combined log line: no [time] after the user"},
			{Line: 8, Outcome: Malformed, Reason: "not a combined log line: no status after the request"},
		}, Stats{Format: Combined, Lines: 8, Records: 6, Malformed: 2}},

		{"json caddy", Options{Format: JSON, Fields: mustFields("method=request.method,uri=request.uri,time=ts,client=user_id,status=status")},
			`{"level":"info","ts":1777629601.25,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.7","method":"GET","host":"api","uri":"/acme/config/clients","headers":{"Authorization":["REDACTED"]}},"user_id":"svc-7","status":200}
{"ts":1777629602,"request":{"method":"POST","uri":"/acme/config/clients"},"status":403}
{"ts":"1777629603","request":{"method":"GET","uri":"/x"},"status":"204","user_id":7}
{"request":{"method":"GET"},"status":200}
{"request":{"method":"GET","uri":"/x"},"status":99}
{"request":{"method":"GET","uri":"/x"},"status":200,"allowed":false}
{"request":"GET /x"}
[1,2]
`, []Record{
				{Line: 1, Method: "GET", Target: "/acme/config/clients", Client: "svc-7", Time: 1777629601250000000, Outcome: Allowed, Reason: "200"},
				{Line: 2, Method: "POST", Target: "/acme/config/clients", Time: 1777629602000000000, Outcome: Denied, Reason: "403"},
				{Line: 3, Outcome: Malformed, Reason: "the client is not a string (see the field mapping)"},
				{Line: 4, Outcome: Malformed, Reason: "no uri string (see the field mapping)"},
				{Line: 5, Outcome: Malformed, Reason: "the status is not an HTTP status"},
				// allowed is not in the mapping, so it is not read.
				{Line: 6, Method: "GET", Target: "/x", Outcome: Allowed, Reason: "200"},
				{Line: 7, Outcome: Malformed, Reason: "no method string (see the field mapping)"},
				{Line: 8, Outcome: Malformed, Reason: "not a JSON object"},
			}, Stats{Format: JSON, Lines: 8, Records: 3, Malformed: 5}},

		{"json detected, CRLF, time forms", Options{}, "{\"method\":\"GET\",\"uri\":\"/a\",\"time\":\"01/May/2026:12:00:01 +0000\",\"status\":200}\r\n" +
			"{\"method\":\"GET\",\"uri\":\"/b\",\"time\":\"2026-05-01T12:00:02+00:00\",\"client\":\"k\",\"allowed\":true}\r\n" +
			"{\"method\":\"GET\",\"uri\":\"/c\",\"time\":\"yesterday\",\"status\":\"200\"}",
			[]Record{
				{Line: 1, Method: "GET", Target: "/a", Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed, Reason: "200"},
				{Line: 2, Method: "GET", Target: "/b", Client: "k", Time: nano("2026-05-01T12:00:02Z"), Outcome: Allowed},
				{Line: 3, Method: "GET", Target: "/c", Outcome: Allowed, Reason: "200"},
			}, Stats{Format: JSON, Lines: 3, Records: 3}},

		// serve's sources, and what is wrong with them.
		{"serve sources", Options{Format: Serve}, `{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/acme/config/clients","path":"/config/clients","sources":[{"name":"X-Rewrite-Url","method":"GET","target":"/acme/config/tokenPolicies"}],"allowed":true,"reason":"granted","client":"reporter"}
{"time":"2026-05-01T12:00:02Z","level":"INFO","msg":"decision","method":"POST","target":"/acme/webhooks/s1","path":"/webhooks/s1","sources":[{"name":"X-Http-Method-Override","method":"DELETE","target":"/acme/webhooks/s1"},{"name":"POST body","method":"(any)","target":"/acme/webhooks/s1","extra":1}],"allowed":true,"reason":"granted","client":"hooks"}
{"msg":"decision","method":"GET","path":"/a","allowed":true,"sources":{"name":"x"}}
{"msg":"decision","method":"GET","path":"/a","allowed":true,"sources":[{"name":"x","method":"GET"}]}
{"msg":"decision","method":"GET","path":"/a","allowed":true,"sources":[{"name":"x","method":"GET","target":7}]}
{"msg":"decision","method":"GET","path":"/a","allowed":true,"sources":[{"name":"x","name":"y","method":"GET","target":"/a"}]}
{"msg":"decision","method":"GET","path":"/a","allowed":true,"sources":[]}
`, []Record{
			{Line: 1, Method: "GET", Target: "/acme/config/clients", Path: "/config/clients", HasPath: true, Client: "reporter",
				Sources: []Source{{Name: "X-Rewrite-Url", Method: "GET", Target: "/acme/config/tokenPolicies"}},
				Time:    nano("2026-05-01T12:00:01Z"), Outcome: Allowed, Reason: "granted"},
			{Line: 2, Method: "POST", Target: "/acme/webhooks/s1", Path: "/webhooks/s1", HasPath: true, Client: "hooks",
				Sources: []Source{{Name: "X-Http-Method-Override", Method: "DELETE", Target: "/acme/webhooks/s1"}, {Name: "POST body", AnyMethod: true, Target: "/acme/webhooks/s1"}},
				Time:    nano("2026-05-01T12:00:02Z"), Outcome: Allowed, Reason: "granted"},
			{Line: 3, Outcome: Malformed, Reason: "sources is not an array of objects with the strings name, method and target"},
			{Line: 4, Outcome: Malformed, Reason: "sources is not an array of objects with the strings name, method and target"},
			{Line: 5, Outcome: Malformed, Reason: "sources is not an array of objects with the strings name, method and target"},
			{Line: 6, Outcome: Malformed, Reason: `invalid JSON: jsontext: duplicate object member name "name" within "/sources/0"`},
			{Line: 7, Method: "GET", Path: "/a", HasPath: true, Outcome: Allowed},
		}, Stats{Format: Serve, Lines: 7, Records: 3, Malformed: 4}},

		{"chosen statuses", Options{Format: Combined, DeniedStatus: []int{403, 503}, AllowedStatus: []int{200, 401}}, `a - - [01/May/2026:12:00:01 +0000] "GET /a HTTP/1.1" 401 0
a - - [01/May/2026:12:00:01 +0000] "GET /b HTTP/1.1" 503 0
a - - [01/May/2026:12:00:01 +0000] "GET /c HTTP/1.1" 204 0
`, []Record{
			{Line: 1, Method: "GET", Target: "/a", Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed, Reason: "401"},
			{Line: 2, Method: "GET", Target: "/b", Time: nano("2026-05-01T12:00:01Z"), Outcome: Denied, Reason: "503"},
			{Line: 3, Method: "GET", Target: "/c", Time: nano("2026-05-01T12:00:01Z"), Outcome: Unknown, Reason: "204"},
		}, Stats{Format: Combined, Lines: 3, Records: 3}},

		// nginx's combined log: $remote_user, which any Basic header
		// fills, is no client unless asked for; only 2xx and 304 passed
		// the gateway, 401 and 403 were its refusals, and everything
		// else (413 before the gateway was asked, 503 when it was down,
		// a redirect of "return") says nothing of its decision.
		{"combined statuses and users", Options{}, `192.0.2.7 - - [01/May/2026:12:00:01 +0000] "GET /acme/config/clients HTTP/1.1" 200 5 "-" "curl/8.5.0"
192.0.2.66 - reporter [01/May/2026:12:00:02 +0000] "DELETE /acme/config/clients/c1 HTTP/1.1" 413 183 "-" "curl/8.5.0"
192.0.2.66 - reporter [01/May/2026:12:00:03 +0000] "PUT /acme/config/tokenPolicies/t1 HTTP/1.1" 503 190 "-" "curl/8.5.0"
192.0.2.66 - reporter [01/May/2026:12:00:04 +0000] "GET /acme/config HTTP/1.1" 301 0 "-" "-"
192.0.2.7 - - [01/May/2026:12:00:05 +0000] "GET /acme/config/clients HTTP/1.1" 304 0 "-" "-"
192.0.2.7 - - [01/May/2026:12:00:06 +0000] "DELETE /acme/config/clients/c1 HTTP/1.1" 403 0 "-" "-"
`, []Record{
			{Line: 1, Method: "GET", Target: "/acme/config/clients", Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed, Reason: "200"},
			{Line: 2, Method: "DELETE", Target: "/acme/config/clients/c1", Time: nano("2026-05-01T12:00:02Z"), Outcome: Unknown, Reason: "413"},
			{Line: 3, Method: "PUT", Target: "/acme/config/tokenPolicies/t1", Time: nano("2026-05-01T12:00:03Z"), Outcome: Unknown, Reason: "503"},
			{Line: 4, Method: "GET", Target: "/acme/config", Time: nano("2026-05-01T12:00:04Z"), Outcome: Unknown, Reason: "301"},
			{Line: 5, Method: "GET", Target: "/acme/config/clients", Time: nano("2026-05-01T12:00:05Z"), Outcome: Allowed, Reason: "304"},
			{Line: 6, Method: "DELETE", Target: "/acme/config/clients/c1", Time: nano("2026-05-01T12:00:06Z"), Outcome: Denied, Reason: "403"},
		}, Stats{Format: Combined, Lines: 6, Records: 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := readAll(t, tc.log, tc.opts)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			tc.st.Bytes = int64(len(tc.log)) // every byte of a plain log is read
			if diff := cmp.Diff(tc.st, st); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func mustFields(s string) Fields {
	f, err := ParseFields(s)
	if err != nil {
		panic(err)
	}
	return f
}

func TestParseFields(t *testing.T) {
	for _, tc := range []struct{ spec, err string }{
		{"method=m,uri=u", ""},
		{"method=m,uri=u,client=", ""},
		{"client=c", "field mapping: method and uri must name a member"},
		{"method=request.method,uri=request.uri", ""},
		{"verb=m", `field mapping "verb=m": "verb=m" is not KEY=NAME with KEY one of method, uri, client, time, status, allowed`},
		{"method", `field mapping "method": "method" is not KEY=NAME with KEY one of method, uri, client, time, status, allowed`},
		{"method=a,method=b", `field mapping "method=a,method=b" names method twice`},
		{"uri=", "field mapping: method and uri must name a member"},
		{"method=request,uri=request.uri", `field mapping "method=request,uri=request.uri": "request" and "request.uri" overlap; each key needs a member of its own`},
		{"method=method,uri=u,client=method", `field mapping "method=method,uri=u,client=method": "method" and "method" overlap; each key needs a member of its own`},
		{"time=a..b", `field mapping "time=a..b": "a..b" is not a member name (names with dots descend into objects)`},
	} {
		_, err := ParseFields(tc.spec)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("ParseFields(%q): %q, want %q", tc.spec, got, tc.err)
		}
	}
}

// A mapping reads only the keys it names: the others are not read, not
// read under their default names.
func TestParseFieldsReadsOnlyWhatItNames(t *testing.T) {
	for spec, want := range map[string]Fields{
		"method=m,uri=u":                   {Method: "m", URI: "u"},
		"method=m,uri=u,status=s":          {Method: "m", URI: "u", Status: "s"},
		"method=m,uri=u,client=,allowed=a": {Method: "m", URI: "u", Allowed: "a"},
	} {
		if diff := cmp.Diff(want, mustFields(spec)); diff != "" {
			t.Errorf("ParseFields(%q) (-want +got):\n%s", spec, diff)
		}
	}
}

// Many blocks on several goroutines come back in the order of the lines,
// numbered, plain or gzip, with a line too long to keep in the middle.
func TestOrderAndGzip(t *testing.T) {
	var b strings.Builder
	const n = 60000
	for i := 1; i <= n; i++ {
		if i == 30000 {
			b.WriteString(strings.Repeat("x", 3<<20) + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"method":"GET","uri":"/p/%d"}`+"\n", i)
	}
	plain := b.String()
	var z bytes.Buffer
	// Two gzip members, as concatenated rotated logs are.
	half := len(plain) / 2
	for _, part := range []string{plain[:half], plain[half:]} {
		w := gzip.NewWriter(&z)
		io.WriteString(w, part)
		w.Close()
	}
	for name, input := range map[string]string{"plain": plain, "gzip": z.String()} {
		t.Run(name, func(t *testing.T) {
			var progress int64
			var got []Record
			st, err := Read(strings.NewReader(input), Options{Format: JSON, Workers: 4, Progress: func(n int64) { progress = n }}, func(rs []Record) {
				for _, r := range rs {
					r.Target = strings.Clone(r.Target)
					got = append(got, r)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n || st.Lines != n || st.Malformed != 1 || st.Gzip != (name == "gzip") {
				t.Fatalf("%d records, %+v", len(got), st)
			}
			for i, r := range got {
				line := int64(i + 1)
				if r.Line != line {
					t.Fatalf("record %d is line %d", i, r.Line)
				}
				if line == 30000 {
					if r.Outcome != Malformed || r.Reason != "the line is longer than 1048576 bytes, and was not read" {
						t.Errorf("the long line: %+v", r)
					}
				} else if r.Target != fmt.Sprintf("/p/%d", line) {
					t.Fatalf("line %d: %q", line, r.Target)
				}
			}
			if progress != int64(len(input)) {
				t.Errorf("progress ended at %d of %d bytes", progress, len(input))
			}
		})
	}
}

func TestDamagedGzip(t *testing.T) {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	io.WriteString(w, strings.Repeat(`{"method":"GET","uri":"/p"}`+"\n", 100000))
	w.Close()
	cut := z.Bytes()[:z.Len()/2]
	n := 0
	_, err := Read(bytes.NewReader(cut), Options{}, func(rs []Record) { n += len(rs) })
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("a gzip stream cut short: %v", err)
	}
	if n == 0 {
		t.Error("nothing read before the damage")
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{Auto, Serve, Combined, JSON} {
		if got, err := ParseFormat(f.String()); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("apache"); err == nil {
		t.Error("an unknown format parsed")
	}
}

// The bytes read are bounded after decompression: a log of exactly the
// bound is read, one byte more is ErrTooLarge; a small gzip member that
// expands to many line ends is stopped at the bound, and its blank lines
// are counted, each once.
func TestMaxBytes(t *testing.T) {
	line := `{"method":"GET","uri":"/a","status":200}` + "\n"
	log := strings.Repeat(line, 100)
	type result struct {
		TooLarge bool
		Bytes    int64
	}
	for _, tc := range []struct {
		name string
		max  int64
		want result
	}{
		{"exactly the bound", int64(len(log)), result{false, int64(len(log))}},
		{"one byte past it", int64(len(log)) - 1, result{true, int64(len(log)) - 1}},
		{"under it", int64(len(log)) + 1, result{false, int64(len(log))}},
	} {
		st, err := Read(strings.NewReader(log), Options{MaxBytes: tc.max}, func([]Record) {})
		if diff := cmp.Diff(tc.want, result{errors.Is(err, ErrTooLarge), st.Bytes}); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, diff)
		}
	}

	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	blank := make([]byte, 1<<20)
	for i := range blank {
		blank[i] = '\n'
	}
	for range 64 {
		w.Write(blank)
	}
	w.Close()
	st, err := Read(bytes.NewReader(z.Bytes()), Options{MaxBytes: 16 << 20}, func([]Record) {})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16777216") {
		t.Errorf("%d bytes of gzip expanding to 64 MiB, bound 16 MiB: %v", z.Len(), err)
	}
	if st.Lines != 16<<20 || st.Skipped != st.Lines || st.Bytes != 16<<20 {
		t.Errorf("the blank lines before the bound: %+v", st)
	}
	st, err = Read(bytes.NewReader(z.Bytes()), Options{}, func([]Record) {})
	if err != nil || st.Lines != 64<<20 || st.Skipped != st.Lines {
		t.Errorf("under the default bound: %+v, %v", st, err)
	}
}

// The members of a JSON line are read only as the types they must have: a
// client is a string (null, or no member, names none), never the text of
// a number, an object or an array, which would merge 1 with "1" and null
// with "null"; a line that says neither a status nor allowed does not say
// the gateway let the request through. serve's client is held to the
// same.
func TestJSONMemberTypes(t *testing.T) {
	const notString = "the client is not a string (see the field mapping)"
	tests := []struct {
		name string
		line string
		want Record
	}{
		{"client string", `{"method":"GET","uri":"/a","client":"null","status":200}`,
			Record{Line: 1, Method: "GET", Target: "/a", Client: "null", Outcome: Allowed, Reason: "200"}},
		{"client null names none", `{"method":"GET","uri":"/a","client":null,"status":200}`,
			Record{Line: 1, Method: "GET", Target: "/a", Outcome: Allowed, Reason: "200"}},
		{"client number", `{"method":"GET","uri":"/a","client":1,"status":200}`, Record{Line: 1, Outcome: Malformed, Reason: notString}},
		{"client boolean", `{"method":"GET","uri":"/a","client":true,"status":200}`, Record{Line: 1, Outcome: Malformed, Reason: notString}},
		{"client object", `{"method":"GET","uri":"/a","client":{"id":"x"},"status":200}`, Record{Line: 1, Outcome: Malformed, Reason: notString}},
		{"client array", `{"method":"GET","uri":"/a","client":["admin"],"status":200}`, Record{Line: 1, Outcome: Malformed, Reason: notString}},
		{"status as a string", `{"method":"DELETE","uri":"/a","status":"403"}`,
			Record{Line: 1, Method: "DELETE", Target: "/a", Outcome: Denied, Reason: "403"}},
		{"status null", `{"method":"DELETE","uri":"/a","status":null}`, Record{Line: 1, Outcome: Malformed, Reason: "the status is not an HTTP status"}},
		{"no status and no allowed", `{"method":"DELETE","uri":"/a"}`,
			Record{Line: 1, Method: "DELETE", Target: "/a", Outcome: Unknown, Reason: "no status and no allowed (see the field mapping)"}},
		{"allowed null", `{"method":"DELETE","uri":"/a","status":200,"allowed":null}`, Record{Line: 1, Outcome: Malformed, Reason: "allowed is not a boolean"}},
		{"allowed true, status denied", `{"method":"DELETE","uri":"/a","status":403,"allowed":true}`,
			Record{Line: 1, Outcome: Malformed, Reason: "status 403 and allowed true disagree: whether the gateway allowed the request cannot be told"}},
		{"allowed false, status allowed", `{"method":"DELETE","uri":"/a","status":"204","allowed":false}`,
			Record{Line: 1, Outcome: Malformed, Reason: "status 204 and allowed false disagree: whether the gateway allowed the request cannot be told"}},
		{"allowed true, a status that says nothing of the gateway", `{"method":"DELETE","uri":"/a","status":503,"allowed":true}`,
			Record{Line: 1, Method: "DELETE", Target: "/a", Outcome: Allowed, Reason: "503"}},
		{"allowed false, status 401", `{"method":"DELETE","uri":"/a","status":401,"allowed":false}`,
			Record{Line: 1, Method: "DELETE", Target: "/a", Outcome: Denied, Reason: "401"}},
		{"serve client number", `{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/a","path":"/a","allowed":true,"client":7}`,
			Record{Line: 1, Outcome: Malformed, Reason: "a decision line whose client is not a string"}},
		{"serve tenant", `{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/acme/a","path":"/a","allowed":true,"client":"c","tenant":"acme"}`,
			Record{Line: 1, Method: "GET", Target: "/acme/a", Path: "/a", HasPath: true, Client: "c", Tenant: "acme", Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed}},
		{"serve tenant number", `{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/1/a","path":"/a","allowed":true,"client":"c","tenant":1}`,
			Record{Line: 1, Outcome: Malformed, Reason: "a decision line whose tenant is not a string"}},
		{"serve client null", `{"time":"2026-05-01T12:00:01Z","level":"INFO","msg":"decision","method":"GET","target":"/a","path":"/a","allowed":true,"client":null}`,
			Record{Line: 1, Method: "GET", Target: "/a", Path: "/a", HasPath: true, Time: nano("2026-05-01T12:00:01Z"), Outcome: Allowed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Record
			if _, err := Read(strings.NewReader(tc.line+"\n"), Options{}, func(recs []Record) { got = append(got, recs...) }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Record{tc.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
