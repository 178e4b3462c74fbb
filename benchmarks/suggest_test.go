package benchmarks

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scopecheck/scopecheck/internal/accesslog"
)

// suggestLines is how many log lines BenchmarkSuggest feeds the command:
// ten million, or SCOPECHECK_SUGGEST_LINES.
func suggestLines(tb testing.TB) int {
	if s := os.Getenv("SCOPECHECK_SUGGEST_LINES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			tb.Fatalf("SCOPECHECK_SUGGEST_LINES=%q is not a number of lines", s)
		}
		return n
	}
	return 10_000_000
}

// logGen writes a gateway's log, line after line, made on the fly: 40
// clients calling the configuration API of docs/identity-config.openapi.yaml
// on 5,000 objects, mostly reads, some writes, one request in fifty
// refused, one in a thousand to a path outside the granted scope.
type logGen struct {
	format string // "serve" or "combined"
	buf    []byte
}

var genPaths = []string{"/config/clients/", "/config/tokenPolicies/", "/config/loginPolicies/", "/webhooks/subscriptions/",
	"/config/loginPolicies/%s/pushClaims", "/config/clients/%s/secret", "/config/clients", "/config/tokenPolicies"}

// line appends line i.
func (g *logGen) line(b []byte, i int) []byte {
	client := "client-" + strconv.Itoa(i%40)
	p := genPaths[(i/3)%len(genPaths)]
	id := "obj-" + strconv.Itoa((i*7919)%5000)
	switch {
	case strings.Contains(p, "%s"):
		p = strings.Replace(p, "%s", id, 1)
	case strings.HasSuffix(p, "/"):
		p += id
	}
	if i%1000 == 999 {
		p = "/users/" + id
	}
	method := "GET"
	switch i % 10 {
	case 7:
		method = "PUT"
	case 9:
		method = "HEAD"
	}
	allowed := i%50 != 49
	sec, frac := 1777885200+i/1000, (i%1000)*1000000
	switch g.format {
	case "serve":
		b = append(b, `{"time":"`...)
		b = time.Unix(int64(sec), int64(frac)).UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"INFO","msg":"decision","method":"`...)
		b = append(b, method...)
		b = append(b, `","target":"/acme`...)
		b = append(b, p...)
		b = append(b, `","path":"`...)
		b = append(b, p...)
		b = append(b, `","allowed":`...)
		b = strconv.AppendBool(b, allowed)
		if allowed {
			b = append(b, `,"reason":"granted","item":".:config/**","client":"`...)
		} else {
			b = append(b, `,"reason":"no-match","client":"`...)
		}
		b = append(b, client...)
		b = append(b, "\"}\n"...)
	default:
		status := "200"
		if !allowed {
			status = "403"
		}
		b = append(b, "192.0.2.7 - "...)
		b = append(b, client...)
		b = append(b, " ["...)
		b = time.Unix(int64(sec), 0).UTC().AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
		b = append(b, `] "`...)
		b = append(b, method...)
		b = append(b, " /acme"...)
		b = append(b, p...)
		b = append(b, ` HTTP/1.1" `...)
		b = append(b, status...)
		b = append(b, ` 512 "-" "client/1.0"`+"\n"...)
	}
	return b
}

// writeTo writes n lines to w, in blocks of about a megabyte.
func (g *logGen) writeTo(w io.Writer, n int) error {
	for i := 0; i < n; {
		g.buf = g.buf[:0]
		for ; i < n && len(g.buf) < 1<<20; i++ {
			g.buf = g.line(g.buf, i)
		}
		if _, err := w.Write(g.buf); err != nil {
			return err
		}
	}
	return nil
}

// gzipMembers writes n lines to w as gzip: the first 100,000 lines are
// compressed once, and that member is written again and again (gzip
// readers read concatenated members as one stream), so that compressing
// costs the benchmark nothing.
func gzipMembers(g *logGen, w io.Writer, n int) error {
	const per = 100_000
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if err := g.writeTo(zw, per); err != nil {
		return err
	}
	zw.Close()
	for i := 0; i < n; i += per {
		if n-i < per {
			zw := gzip.NewWriter(w)
			if err := g.writeTo(zw, n-i); err != nil {
				return err
			}
			return zw.Close()
		}
		if _, err := w.Write(z.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// TestLogGen reads what the generator writes as the command will: every
// line is a request, none unreadable.
func TestLogGen(t *testing.T) {
	for _, format := range []string{"serve", "combined"} {
		var buf bytes.Buffer
		g := &logGen{format: format}
		if err := g.writeTo(&buf, 5000); err != nil {
			t.Fatal(err)
		}
		st, err := accesslog.Read(&buf, accesslog.Options{}, func([]accesslog.Record) {})
		if err != nil || st.Records != 5000 || st.Malformed != 0 || st.Format.String() != format {
			t.Errorf("%s: %+v, %v", format, st, err)
		}
	}
}

// BenchmarkSuggest runs "scopecheck suggest" with the granted scope and the
// API description on ten million lines of a log generated on the fly and
// piped to its stdin: serve's log, the same gzip, and nginx's combined
// format. One op is the whole run; lines/s, the command's processor time
// and its peak resident memory are reported.
func BenchmarkSuggest(b *testing.B) {
	n := suggestLines(b)
	bin := filepath.Join(b.TempDir(), "scopecheck")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scopecheck")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{"suggest", "--within", ".:config/** *:webhooks/** *:config/loginPolicies/**",
		"--api", "../docs/identity-config.openapi.yaml", "--format", "json"}
	for _, tc := range []struct {
		name  string
		extra []string
		write func(w io.Writer) error
	}{
		{"serve", nil, func(w io.Writer) error { return (&logGen{format: "serve"}).writeTo(w, n) }},
		{"serve-gzip", nil, func(w io.Writer) error { return gzipMembers(&logGen{format: "serve"}, w, n) }},
		{"combined", []string{"--strip-segments", "1", "--trust-remote-user"}, func(w io.Writer) error { return (&logGen{format: "combined"}).writeTo(w, n) }},
	} {
		b.Run(fmt.Sprintf("%s/%dlines", tc.name, n), func(b *testing.B) {
			var maxRSS int64
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(bin, append(append(append([]string(nil), args...), tc.extra...), "-")...)
				in, err := cmd.StdinPipe()
				if err != nil {
					b.Fatal(err)
				}
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				werr := tc.write(in)
				in.Close()
				if err := cmd.Wait(); err != nil || werr != nil {
					b.Fatalf("%v %v\n%s", err, werr, errb.String())
				}
				if !strings.Contains(out.String(), fmt.Sprintf(`"requests": %d`, n)) {
					b.Fatalf("the command did not read %d requests:\n%.2000s", n, out.String())
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					maxRSS = max(maxRSS, ru.Maxrss)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/sec, "lines/s")
			// The command's own processor time, which other work on a
			// shared machine changes less than the elapsed time.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MiB")
		})
	}
}
